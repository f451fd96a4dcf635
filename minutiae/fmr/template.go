package fmr

import (
	"fmt"
	"math"

	"github.com/whorlafis/whorl/minutiae"
)

// pxPerCm500 is the resolution written for, and read as exactly, 500 ppi.
// The records state resolution in whole pixels per centimetre, and 500 ppi
// is 196.85 px/cm; every writer rounds it to 197, which read literally would
// be 500.38 ppi and would move every minutia by up to 0.08%.
const pxPerCm500 = 197

// scale is the factor from record pixels to 500 ppi pixels.
func scale(pxPerCm uint16) float64 {
	if pxPerCm == pxPerCm500 {
		return 1
	}
	return minutiae.StandardPPI / (float64(pxPerCm) * 2.54)
}

// angleUnits is the number of minutia angle units in a full turn: 256 in
// ISO (360/256 degrees a unit), 180 in ANSI 378 (2 degrees a unit).
func angleUnits(f Format) int {
	if f == ANSI378 {
		return 180
	}
	return 256
}

// Template converts view i (0-based) of r to the internal model: positions
// and image size rescaled to 500 ppi from the record's resolution, angles
// from the format's units to radians, minutia types to kinds, qualities to
// 0–100 (0 where the record reports none) and the finger position and
// impression type to the model's codes. It fails, naming the view and
// field, for values the model cannot take: a finger position above 10 (the
// multi-finger codes of ISO 2011), a zero resolution, a reserved minutia
// type, an ANSI 378 angle above 179, a quality above 100 that is not one of
// ISO 2011's special values. An impression code the model does not carry
// becomes minutiae.UnknownImpression. The ISO 2011 finger quality is the
// score of the first quality block. Extended data has no place in the model
// and is left out.
func (r *Record) Template(i int) (minutiae.Template, error) {
	if i < 0 || i >= len(r.Views) {
		return minutiae.Template{}, fmt.Errorf("fmr: view %d out of range: the record has %d", i, len(r.Views))
	}
	if !r.Format.valid() {
		return minutiae.Template{}, fmt.Errorf("fmr: unknown format %v", r.Format)
	}
	v := &r.Views[i]
	fail := func(format string, args ...any) (minutiae.Template, error) {
		return minutiae.Template{}, fmt.Errorf("fmr: %v view %d: %s", r.Format, i, fmt.Sprintf(format, args...))
	}
	w, h, rx, ry := r.Width, r.Height, r.ResolutionX, r.ResolutionY
	if r.Format == ISO2011 {
		w, h, rx, ry = v.Width, v.Height, v.ResolutionX, v.ResolutionY
	}
	if rx == 0 || ry == 0 {
		return fail("resolution %d×%d px/cm: a zero resolution cannot be rescaled to 500 ppi", rx, ry)
	}
	if v.Position > uint8(minutiae.MaxFingerPosition) {
		return fail("finger position %d is not a single finger (0–%d)", v.Position, minutiae.MaxFingerPosition)
	}
	sx, sy := scale(rx), scale(ry)
	t := minutiae.Template{
		Width:      int(math.Round(float64(w) * sx)),
		Height:     int(math.Round(float64(h) * sy)),
		Position:   minutiae.FingerPosition(v.Position),
		Impression: impressionFromCode(r.Format, v.Impression),
	}
	if r.Format == ISO2011 {
		if len(v.Qualities) > 0 {
			q, ok := quality2011(v.Qualities[0].Score)
			if !ok {
				return fail("quality block 0 score %d is neither 0–100 nor 254/255", v.Qualities[0].Score)
			}
			t.Quality = q
		}
	} else {
		if v.Quality > 100 {
			return fail("finger quality %d above 100", v.Quality)
		}
		t.Quality = v.Quality
	}
	units := angleUnits(r.Format)
	if len(v.Minutiae) > 0 {
		t.Minutiae = make([]minutiae.Minutia, len(v.Minutiae))
	}
	for j, m := range v.Minutiae {
		var kind minutiae.Kind
		switch m.Type {
		case 0:
			kind = minutiae.KindOther
		case 1:
			kind = minutiae.KindEnding
		case 2:
			kind = minutiae.KindBifurcation
		default:
			return fail("minutia %d type %d is reserved", j, m.Type)
		}
		if int(m.Angle) >= units {
			return fail("minutia %d angle %d outside 0–%d", j, m.Angle, units-1)
		}
		q := m.Quality
		if r.Format == ISO2011 {
			var ok bool
			if q, ok = quality2011(m.Quality); !ok {
				return fail("minutia %d quality %d is neither 0–100 nor 254/255", j, m.Quality)
			}
		} else if q > 100 {
			return fail("minutia %d quality %d above 100", j, q)
		}
		t.Minutiae[j] = minutiae.Minutia{
			X:         float32(float64(m.X) * sx),
			Y:         float32(float64(m.Y) * sy),
			Direction: minutiae.NormalizeAngle(float64(m.Angle) * 2 * math.Pi / float64(units)),
			Kind:      kind,
			Quality:   q,
		}
	}
	if err := t.Validate(); err != nil {
		return fail("%v", err)
	}
	return t, nil
}

// quality2011 maps an ISO 2011 quality to the model: 254 (not reported) and
// 255 (failed to compute) become 0, unknown.
func quality2011(q uint8) (uint8, bool) {
	switch {
	case q <= 100:
		return q, true
	case q == 254 || q == 255:
		return 0, true
	}
	return 0, false
}

// impressionFromCode maps a record's impression type code to the model.
// Codes 0–3 and 8 (swipe) are common to all three formats; ISO 2011 adds the
// latent codes 4–7, 24 (contactless) and 29 (unknown); ANSI 378 uses 9 for
// contactless.
func impressionFromCode(f Format, c uint8) minutiae.Impression {
	imp := minutiae.Impression(c)
	switch {
	case c <= 3 || imp == minutiae.LiveSwipe:
		return imp
	case f == ISO2011 && (imp.IsLatent() || imp == minutiae.LiveContactless):
		return imp
	case f == ANSI378 && c == 9:
		return minutiae.LiveContactless
	}
	return minutiae.UnknownImpression
}

// impressionToCode is the inverse of impressionFromCode; it fails for an
// impression the format has no code for.
func impressionToCode(f Format, imp minutiae.Impression) (uint8, error) {
	switch {
	case imp <= minutiae.NonLiveRolled || imp == minutiae.LiveSwipe:
		return uint8(imp), nil
	case f == ISO2011 && (imp.IsLatent() || imp == minutiae.LiveContactless || imp == minutiae.UnknownImpression):
		return uint8(imp), nil
	case f == ANSI378 && imp == minutiae.LiveContactless:
		return 9, nil
	}
	return 0, fmt.Errorf("impression %q has no code in %v (ISO/IEC 19794-2:2011 has codes for latent and unknown impressions)", imp, f)
}

// FromTemplates makes a record in format f with one view (representation)
// for each template, in order, at 500 ppi (197 px/cm). Positions are rounded
// to whole pixels and directions to the nearest angle unit, so a template
// whose values are already on that grid comes back from Template unchanged,
// and Template then FromTemplates gives back a 500 ppi record's minutiae
// (except that ISO 2011 minutia qualities 0 and 255 come back as 254). View
// numbers count the views of each finger from 0.
//
// ISO 2005 and ANSI 378 hold one image size for the record: it is the
// largest of the templates'. The CBEFF product owner of ANSI 378 is left
// zero (unregistered); set it before encoding if the caller has one. In ISO
// 2011 the capture time is "not given" (all ones), the device unknown, and a
// template quality above 0 becomes one quality block with vendor and
// algorithm 0; a minutia quality of 0 (unknown) is written as 254 (not
// reported).
//
// It fails for an invalid template and for an impression type the format
// has no code for.
func FromTemplates(f Format, ts ...minutiae.Template) (*Record, error) {
	if !f.valid() {
		return nil, fmt.Errorf("fmr: unknown format %v", f)
	}
	maxViews := 255
	if f == ISO2011 {
		maxViews = 0xFFFF
	}
	if len(ts) > maxViews {
		return nil, fmt.Errorf("fmr: %v: %d templates, more than a record holds (%d)", f, len(ts), maxViews)
	}
	rec := &Record{Format: f}
	if f.legacy() {
		rec.ResolutionX, rec.ResolutionY = pxPerCm500, pxPerCm500
	}
	if len(ts) > 0 {
		rec.Views = make([]View, len(ts))
	}
	var views [minutiae.MaxFingerPosition + 1]int
	units := float64(angleUnits(f))
	for i := range ts {
		t := &ts[i]
		if err := t.Validate(); err != nil {
			return nil, fmt.Errorf("fmr: %v: template %d: %w", f, i, err)
		}
		code, err := impressionToCode(f, t.Impression)
		if err != nil {
			return nil, fmt.Errorf("fmr: template %d: %w", i, err)
		}
		n := views[t.Position]
		views[t.Position]++
		if (f.legacy() && n > 0x0F) || n > 0xFF {
			return nil, fmt.Errorf("fmr: %v: template %d: view %d of the %v, more than the view number holds", f, i, n, t.Position)
		}
		v := &rec.Views[i]
		*v = View{Position: uint8(t.Position), Number: uint8(n), Impression: code}
		if f == ISO2011 {
			v.CaptureTime = unknownCaptureTime
			v.Width, v.Height = uint16(t.Width), uint16(t.Height)
			v.ResolutionX, v.ResolutionY = pxPerCm500, pxPerCm500
			v.MinutiaSize = 6
			if t.Quality > 0 {
				v.Qualities = []QualityBlock{{Score: t.Quality}}
			}
		} else {
			v.Quality = t.Quality
			rec.Width = max(rec.Width, uint16(t.Width))
			rec.Height = max(rec.Height, uint16(t.Height))
		}
		if len(t.Minutiae) > 0 {
			v.Minutiae = make([]Minutia, len(t.Minutiae))
		}
		for j, m := range t.Minutiae {
			q := m.Quality
			if f == ISO2011 && q == 0 {
				q = 254
			}
			v.Minutiae[j] = Minutia{
				Type:    kindCode(m.Kind),
				X:       uint16(math.Round(float64(m.X))),
				Y:       uint16(math.Round(float64(m.Y))),
				Angle:   uint8(int(math.Round(float64(m.Direction)*units/(2*math.Pi))) % int(units)),
				Quality: q,
			}
		}
	}
	return rec, nil
}

func kindCode(k minutiae.Kind) uint8 {
	switch k {
	case minutiae.KindEnding:
		return 1
	case minutiae.KindBifurcation:
		return 2
	}
	return 0
}
