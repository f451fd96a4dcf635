package fmr

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/whorlafis/whorl/minutiae"
)

// gridTemplate makes a valid 500 ppi template whose values a record can hold
// exactly: whole-pixel positions and directions on the format's angle grid.
func gridTemplate(r *rand.Rand, f Format, pos minutiae.FingerPosition, imp minutiae.Impression, w, h, n int) minutiae.Template {
	units := angleUnits(f)
	t := minutiae.Template{Width: w, Height: h, Position: pos, Impression: imp, Quality: uint8(r.IntN(101))}
	for range n {
		t.Minutiae = append(t.Minutiae, minutiae.Minutia{
			X:         float32(r.IntN(w)),
			Y:         float32(r.IntN(h)),
			Direction: minutiae.NormalizeAngle(float64(r.IntN(units)) * 2 * math.Pi / float64(units)),
			Kind:      minutiae.Kind(r.IntN(3)),
			Quality:   uint8(r.IntN(101)),
		})
	}
	return t
}

func TestTemplateRecordTemplate(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 11))
	impressions := map[Format][]minutiae.Impression{
		ISO2005: {minutiae.LivePlain, minutiae.LiveRolled, minutiae.NonLivePlain, minutiae.NonLiveRolled, minutiae.LiveSwipe},
		ANSI378: {minutiae.LivePlain, minutiae.LiveRolled, minutiae.NonLiveRolled, minutiae.LiveSwipe, minutiae.LiveContactless},
		ISO2011: {minutiae.LivePlain, minutiae.Latent, minutiae.LatentLift, minutiae.LiveContactless, minutiae.UnknownImpression},
	}
	for _, f := range []Format{ISO2005, ANSI378, ISO2011} {
		var ts []minutiae.Template
		for i, n := range []int{0, 1, 17, 60, minutiae.MaxMinutiae} {
			imp := impressions[f][i%len(impressions[f])]
			// Two views of the right index among them, to exercise view numbers.
			pos := minutiae.FingerPosition([]int{2, 2, 0, 6, 10}[i])
			w, h := 416, 560 // ISO 2005 and ANSI 378 hold one image size for all views
			if f == ISO2011 {
				w, h = 300+r.IntN(500), 300+r.IntN(500)
			}
			ts = append(ts, gridTemplate(r, f, pos, imp, w, h, n))
		}
		rec, err := FromTemplates(f, ts...)
		require.NoError(t, err, f)
		data := mustEncode(t, rec)
		back, err := Decode(data)
		require.NoError(t, err, f)
		assert.Equal(t, rec, back, f)
		require.Len(t, back.Views, len(ts))
		assert.Equal(t, []uint8{0, 1, 0, 0, 0}, []uint8{back.Views[0].Number, back.Views[1].Number, back.Views[2].Number, back.Views[3].Number, back.Views[4].Number})
		for i := range ts {
			got, err := back.Template(i)
			require.NoError(t, err, "%v view %d", f, i)
			assert.Equal(t, ts[i], got, "%v view %d", f, i)
		}
	}
}

// A 500 ppi record's minutiae survive record → template → record.
func TestRecordTemplateRecord(t *testing.T) {
	for _, rec := range []*Record{synthISO2005(), synthANSI378()} {
		for i, v := range rec.Views {
			tmpl, err := rec.Template(i)
			require.NoError(t, err)
			back, err := FromTemplates(rec.Format, tmpl)
			require.NoError(t, err)
			assert.Equal(t, v.Minutiae, back.Views[0].Minutiae, "%v view %d", rec.Format, i)
			assert.Equal(t, v.Position, back.Views[0].Position)
			assert.Equal(t, v.Impression, back.Views[0].Impression)
			assert.Equal(t, v.Quality, back.Views[0].Quality)
		}
	}
	rec := synthISO2011()
	tmpl, err := rec.Template(0)
	require.NoError(t, err)
	back, err := FromTemplates(ISO2011, tmpl)
	require.NoError(t, err)
	assert.Equal(t, rec.Views[0].Minutiae, back.Views[0].Minutiae)
	assert.Equal(t, []QualityBlock{{Score: 80}}, back.Views[0].Qualities, "the first quality block's score")
}

func TestTemplateUnits(t *testing.T) {
	// Angles: 64 ISO units and 45 ANSI units are both a right angle.
	for _, c := range []struct {
		f     Format
		angle uint8
		want  float64
	}{
		{ISO2005, 0, 0}, {ISO2005, 64, math.Pi / 2}, {ISO2005, 128, math.Pi}, {ISO2005, 255, 255 * math.Pi / 128},
		{ISO2011, 192, 3 * math.Pi / 2},
		{ANSI378, 45, math.Pi / 2}, {ANSI378, 90, math.Pi}, {ANSI378, 179, 179 * math.Pi / 90},
	} {
		rec, err := FromTemplates(c.f, minutiae.Template{Width: 10, Height: 10})
		require.NoError(t, err)
		rec.Views[0].Minutiae = []Minutia{{Type: 1, X: 1, Y: 2, Angle: c.angle}}
		if c.f == ISO2011 {
			rec.Views[0].Minutiae[0].Quality = 254
		}
		tmpl, err := rec.Template(0)
		require.NoError(t, err)
		assert.InDelta(t, c.want, tmpl.Minutiae[0].Direction, 1e-6, "%v angle %d", c.f, c.angle)
		assert.Equal(t, minutiae.KindEnding, tmpl.Minutiae[0].Kind)
		assert.Zero(t, tmpl.Minutiae[0].Quality)
	}

	// Resolution: 394 px/cm (1000.76 ppi) halves positions, near enough;
	// 197 px/cm is taken as exactly 500 ppi.
	rec := &Record{Format: ISO2005, Width: 1000, Height: 800, ResolutionX: 394, ResolutionY: 197,
		Views: []View{{Minutiae: []Minutia{{X: 1000, Y: 700}}}}}
	tmpl, err := rec.Template(0)
	require.NoError(t, err)
	sx := 500 / (394 * 2.54)
	assert.Equal(t, int(math.Round(1000*sx)), tmpl.Width)
	assert.Equal(t, 800, tmpl.Height)
	assert.Equal(t, float32(1000*sx), tmpl.Minutiae[0].X)
	assert.Equal(t, float32(700), tmpl.Minutiae[0].Y)

	// ISO 2011 takes the resolution of each representation.
	r11 := synthISO2011()
	tmpl, err = r11.Template(1)
	require.NoError(t, err)
	assert.Equal(t, int(math.Round(800*sx)), tmpl.Width)
	assert.Equal(t, float32(float64(r11.Views[1].Minutiae[0].X)*sx), tmpl.Minutiae[0].X)
	assert.Equal(t, minutiae.UnknownImpression, tmpl.Impression)
	assert.Zero(t, tmpl.Quality, "no quality block")
	tmpl, err = r11.Template(0)
	require.NoError(t, err)
	assert.Equal(t, minutiae.Latent, tmpl.Impression)
	assert.Equal(t, uint8(80), tmpl.Quality)
	assert.Equal(t, minutiae.RightMiddle, tmpl.Position)
}

func TestTemplateRefusesWhatTheModelCannotTake(t *testing.T) {
	cases := []struct {
		name string
		rec  func() *Record
		view int
		want string
	}{
		{"view out of range", synthISO2005, 3, "view 3 out of range"},
		{"negative view", synthISO2005, -1, "view -1 out of range"},
		{"zero resolution", func() *Record { r := synthISO2005(); r.ResolutionY = 0; return r }, 0, "zero resolution"},
		{"multi-finger position", func() *Record { r := synthISO2011(); r.Views[0].Position = 13; return r }, 0, "finger position 13 is not a single finger"},
		{"reserved minutia type", func() *Record { r := synthISO2005(); r.Views[0].Minutiae[4].Type = 3; return r }, 0, "minutia 4 type 3 is reserved"},
		{"ANSI angle 180", func() *Record { r := synthANSI378(); r.Views[1].Minutiae[1].Angle = 180; return r }, 1, "minutia 1 angle 180 outside 0–179"},
		{"finger quality", func() *Record { r := synthANSI378(); r.Views[0].Quality = 101; return r }, 0, "finger quality 101 above 100"},
		{"minutia quality", func() *Record { r := synthISO2005(); r.Views[0].Minutiae[2].Quality = 200; return r }, 0, "minutia 2 quality 200 above 100"},
		{"ISO 2011 minutia quality", func() *Record { r := synthISO2011(); r.Views[0].Minutiae[2].Quality = 200; return r }, 0, "minutia 2 quality 200 is neither"},
		{"ISO 2011 block quality", func() *Record { r := synthISO2011(); r.Views[0].Qualities[0].Score = 101; return r }, 0, "quality block 0 score 101"},
		{"too large at 500 ppi", func() *Record { r := synthISO2005(); r.ResolutionX, r.Width = 20, 2000; return r }, 0, "width 19685"},
		{"unknown format", func() *Record { r := synthISO2005(); r.Format = 9; return r }, 0, "unknown format"},
	}
	for _, c := range cases {
		_, err := c.rec().Template(c.view)
		assert.ErrorContains(t, err, c.want, c.name)
	}
}

func TestImpressionCodes(t *testing.T) {
	from := []struct {
		f    Format
		code uint8
		want minutiae.Impression
	}{
		{ISO2005, 0, minutiae.LivePlain}, {ISO2005, 3, minutiae.NonLiveRolled}, {ISO2005, 8, minutiae.LiveSwipe},
		{ISO2005, 4, minutiae.UnknownImpression}, {ISO2005, 9, minutiae.UnknownImpression}, {ISO2005, 15, minutiae.UnknownImpression},
		{ANSI378, 9, minutiae.LiveContactless}, {ANSI378, 5, minutiae.UnknownImpression},
		{ISO2011, 4, minutiae.Latent}, {ISO2011, 7, minutiae.LatentLift}, {ISO2011, 24, minutiae.LiveContactless},
		{ISO2011, 29, minutiae.UnknownImpression}, {ISO2011, 28, minutiae.UnknownImpression}, {ISO2011, 9, minutiae.UnknownImpression},
	}
	for _, c := range from {
		assert.Equal(t, c.want, impressionFromCode(c.f, c.code), "%v code %d", c.f, c.code)
	}
	for _, c := range []struct {
		f   Format
		imp minutiae.Impression
	}{{ISO2005, minutiae.Latent}, {ISO2005, minutiae.UnknownImpression}, {ISO2005, minutiae.LiveContactless}, {ANSI378, minutiae.LatentPhoto}} {
		_, err := FromTemplates(c.f, minutiae.Template{Impression: c.imp})
		assert.ErrorContains(t, err, "has no code in", "%v %v", c.f, c.imp)
	}
}

func TestFromTemplates(t *testing.T) {
	// ISO 2005 and ANSI 378 hold one image size: the largest.
	rec, err := FromTemplates(ANSI378, minutiae.Template{Width: 300, Height: 500}, minutiae.Template{Width: 400, Height: 200})
	require.NoError(t, err)
	assert.Equal(t, [2]uint16{400, 500}, [2]uint16{rec.Width, rec.Height})
	assert.Equal(t, [2]uint16{197, 197}, [2]uint16{rec.ResolutionX, rec.ResolutionY})

	// The 4-bit view number holds 16 views of one finger.
	ts := make([]minutiae.Template, 17)
	_, err = FromTemplates(ISO2005, ts[:16]...)
	assert.NoError(t, err)
	_, err = FromTemplates(ISO2005, ts...)
	assert.ErrorContains(t, err, "view 16 of the unknown")
	_, err = FromTemplates(ISO2011, ts...)
	assert.NoError(t, err, "ISO 2011's representation number has 8 bits")

	_, err = FromTemplates(ISO2005, minutiae.Template{Width: -1})
	assert.ErrorContains(t, err, "template 0")
	_, err = FromTemplates(Format(0))
	assert.ErrorContains(t, err, "unknown format")

	// Directions round to the nearest unit, and 2π − ε wraps to 0.
	rec, err = FromTemplates(ANSI378, minutiae.Template{Minutiae: []minutiae.Minutia{
		{Direction: float32(2.9 * math.Pi / 180)}, {Direction: float32(3.1 * math.Pi / 180)}, {Direction: float32(2*math.Pi - 0.001)},
	}})
	require.NoError(t, err)
	assert.Equal(t, []uint8{1, 2, 0}, []uint8{rec.Views[0].Minutiae[0].Angle, rec.Views[0].Minutiae[1].Angle, rec.Views[0].Minutiae[2].Angle})

	// ISO 2011 writes unknown minutia quality as 254 (not reported).
	rec, err = FromTemplates(ISO2011, minutiae.Template{Minutiae: []minutiae.Minutia{{}}})
	require.NoError(t, err)
	assert.Equal(t, uint8(254), rec.Views[0].Minutiae[0].Quality)
	assert.Equal(t, unknownCaptureTime, rec.Views[0].CaptureTime)
	assert.Nil(t, rec.Views[0].Qualities, "no quality block for an unknown quality")
}
