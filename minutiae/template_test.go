package minutiae

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestFingerPositionString(t *testing.T) {
	for _, tc := range []struct {
		p     FingerPosition
		want  string
		valid bool
	}{
		{UnknownFinger, "unknown", true},
		{RightThumb, "right thumb", true},
		{LeftLittle, "left little", true},
		{13, "plain right four fingers", false},
		{42, "FingerPosition(42)", false},
	} {
		assert.Equal(t, tc.want, tc.p.String())
		assert.Equal(t, tc.valid, tc.p.Valid(), "%d", tc.p)
	}
}

func TestImpressionValid(t *testing.T) {
	for code := range 256 {
		i := Impression(code)
		want := code <= 8 || code == 24 || code == 29
		assert.Equal(t, want, i.Valid(), "code %d", code)
		if want {
			assert.NotContains(t, i.String(), "Impression(", "code %d has a name", code)
		}
	}
	assert.True(t, Latent.IsLatent())
	assert.False(t, LiveRolled.IsLatent())
}

func ExampleTemplate_Validate() {
	t := Template{Width: 400, Height: 400, Minutiae: []Minutia{{X: 120, Y: 80, Direction: 7, Kind: KindEnding}}}
	fmt.Println(t.Validate())
	// Output: minutiae: minutia 0: direction 7 outside [0, 2π)
}
