package minutiae

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/proto"

	whorlv1 "github.com/whorlafis/whorl/proto/whorl/v1"
)

// randomTemplate makes a valid template with n minutiae from a seeded source.
func randomTemplate(r *rand.Rand, n int) Template {
	t := Template{
		Width:      300 + r.IntN(500),
		Height:     300 + r.IntN(500),
		Position:   FingerPosition(r.IntN(11)),
		Impression: []Impression{LivePlain, LiveRolled, Latent, LiveSwipe, UnknownImpression}[r.IntN(5)],
		Quality:    uint8(r.IntN(101)),
	}
	for range n {
		t.Minutiae = append(t.Minutiae, Minutia{
			X:         float32(r.Float64() * float64(t.Width)),
			Y:         float32(r.Float64() * float64(t.Height)),
			Direction: NormalizeAngle(r.Float64() * 2 * math.Pi),
			Kind:      Kind(r.IntN(3)),
			Quality:   uint8(r.IntN(101)),
		})
	}
	return t
}

func TestNativeRoundTrip(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, n := range []int{0, 1, 12, 40, MaxMinutiae} {
		tmpl := randomTemplate(r, n)
		data, err := MarshalTemplate(&tmpl)
		require.NoError(t, err)
		got, err := UnmarshalTemplate(data)
		require.NoError(t, err)
		assert.Equal(t, tmpl, got, "%d minutiae", n)

		again, err := MarshalTemplate(&got)
		require.NoError(t, err)
		assert.Equal(t, data, again, "encoding must be deterministic")
		if n > 0 {
			t.Logf("%3d minutiae: %5d bytes, %.1f bytes a minutia", n, len(data), float64(len(data))/float64(n))
		}
	}
}

func TestNativeEveryImpression(t *testing.T) {
	for imp := range impressionToProto {
		tmpl := Template{Impression: imp}
		data, err := MarshalTemplate(&tmpl)
		require.NoError(t, err)
		got, err := UnmarshalTemplate(data)
		require.NoError(t, err)
		assert.Equal(t, imp, got.Impression)
	}
}

func TestMarshalRejectsInvalidTemplate(t *testing.T) {
	valid := func() Template {
		return Template{Width: 400, Height: 400, Minutiae: []Minutia{{X: 10, Y: 10, Direction: 1}}}
	}
	tests := []struct {
		name   string
		modify func(*Template)
	}{
		{"negative width", func(t *Template) { t.Width = -1 }},
		{"huge height", func(t *Template) { t.Height = MaxDimension + 1 }},
		{"finger position 11", func(t *Template) { t.Position = 11 }},
		{"impression 20", func(t *Template) { t.Impression = 20 }},
		{"quality 101", func(t *Template) { t.Quality = 101 }},
		{"direction 2π", func(t *Template) { t.Minutiae[0].Direction = 2 * math.Pi }},
		{"direction negative", func(t *Template) { t.Minutiae[0].Direction = -0.1 }},
		{"direction NaN", func(t *Template) { t.Minutiae[0].Direction = float32(math.NaN()) }},
		{"x negative", func(t *Template) { t.Minutiae[0].X = -1 }},
		{"y infinite", func(t *Template) { t.Minutiae[0].Y = float32(math.Inf(1)) }},
		{"kind 3", func(t *Template) { t.Minutiae[0].Kind = 3 }},
		{"minutia quality 200", func(t *Template) { t.Minutiae[0].Quality = 200 }},
		{"too many minutiae", func(t *Template) { t.Minutiae = make([]Minutia, MaxMinutiae+1) }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tmpl := valid()
			tc.modify(&tmpl)
			_, err := MarshalTemplate(&tmpl)
			assert.Error(t, err)
		})
	}
}

func TestUnmarshalRejectsBadMessages(t *testing.T) {
	encode := func(p *whorlv1.Template) []byte {
		b, err := proto.Marshal(p)
		require.NoError(t, err)
		return b
	}
	tests := []struct {
		name string
		data []byte
		want string
	}{
		{"not protobuf", []byte{0xff, 0xff, 0xff}, "native template"},
		{"ragged columns", encode(&whorlv1.Template{X: []float32{1, 2}, Y: []float32{1}}), "columns differ"},
		{"finger 42", encode(&whorlv1.Template{FingerPosition: 42}), "finger_position"},
		{"impression 99", encode(&whorlv1.Template{ImpressionType: 99}), "impression_type"},
		{"kind 7", encode(&whorlv1.Template{X: []float32{1}, Y: []float32{1}, Direction: []float32{1},
			Kinds: []whorlv1.MinutiaKind{7}, Qualities: []uint32{0}}), "kind"},
		{"width too large", encode(&whorlv1.Template{Width: 1 << 20}), "size"},
		{"oversized input", make([]byte, MaxNativeSize+1), "exceeds"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := UnmarshalTemplate(tc.data)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
		})
	}
}

func TestNormalizeAngle(t *testing.T) {
	for _, a := range []float64{-4 * math.Pi, -1e-9, 0, math.Pi, 2*math.Pi - 1e-12, 2 * math.Pi, 100} {
		got := NormalizeAngle(a)
		assert.True(t, got >= 0 && got < 2*math.Pi, "NormalizeAngle(%g) = %g", a, got)
	}
	assert.InDelta(t, math.Pi/2, NormalizeAngle(-1.5*math.Pi), 1e-6)
}

func FuzzUnmarshalTemplate(f *testing.F) {
	r := rand.New(rand.NewPCG(3, 4))
	for _, n := range []int{0, 1, 30} {
		tmpl := randomTemplate(r, n)
		data, err := MarshalTemplate(&tmpl)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		tmpl, err := UnmarshalTemplate(data)
		if err != nil {
			return
		}
		// Whatever decodes is a valid template and survives a round trip.
		out, err := MarshalTemplate(&tmpl)
		if err != nil {
			t.Fatalf("decoded template does not re-encode: %v", err)
		}
		again, err := UnmarshalTemplate(out)
		if err != nil {
			t.Fatalf("re-encoded template does not decode: %v", err)
		}
		if len(again.Minutiae) != len(tmpl.Minutiae) {
			t.Fatalf("round trip changed the minutia count: %d to %d", len(tmpl.Minutiae), len(again.Minutiae))
		}
	})
}
