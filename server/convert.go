package server

import (
	"errors"
	"unicode"
	"unicode/utf8"

	"github.com/whorlafis/whorl/minutiae"
	whorlv1 "github.com/whorlafis/whorl/proto/whorl/v1"
)

// Limits of a request, checked before any work is done.
const (
	// MaxMessageBytes bounds a request on the wire (gRPC refuses larger
	// ones with ResourceExhausted before they reach a handler).
	MaxMessageBytes = 64 << 20
	// maxImageBytes bounds one encoded image; the image decoders bound the
	// pixels (minutiae.MaxImagePixels) before decoding.
	maxImageBytes = 16 << 20
	// maxFingers bounds the fingers of one request.
	maxFingers        = 32
	maxSubjectIDBytes = 256
	maxRequestIDBytes = 128
	maxTop            = 100
	defaultTop        = 10
	maxPageSize       = 1000
	maxPageTokenBytes = 64
	defaultPageSize   = 100
)

// checkID adds a violation when id is empty, too long, not UTF-8 or holds
// control characters (ids end up in logs, audit records and tables).
func checkID(v *violations, field, id string, max int, required bool) {
	switch {
	case id == "" && required:
		v.add(field, "required")
	case len(id) > max:
		v.add(field, "%d bytes, at most %d", len(id), max)
	case !utf8.ValidString(id):
		v.add(field, "not valid UTF-8")
	default:
		for _, r := range id {
			if unicode.IsControl(r) || unicode.Is(unicode.Bidi_Control, r) || r == '\u2028' || r == '\u2029' {
				v.add(field, "control character U+%04X", r)
				return
			}
		}
	}
}

func checkPosition(v *violations, field string, p whorlv1.FingerPosition) {
	if p < 0 || p > whorlv1.FingerPosition(minutiae.MaxFingerPosition) {
		v.add(field, "finger position %d is not defined (0 unknown, 1-10)", p)
	}
}

func checkImpression(v *violations, field string, imp whorlv1.ImpressionType) {
	if _, ok := minutiae.ImpressionFromProto(imp); !ok {
		v.add(field, "impression type %d is not defined", imp)
	}
}

// checkSearchable adds a violation for each template a gallery could not
// search (fewer than 2 minutiae) and each known position given twice.
func checkSearchable(v *violations, field string, ts []minutiae.Template) {
	seen := map[minutiae.FingerPosition]bool{}
	for i, t := range ts {
		if len(t.Minutiae) < 2 {
			v.add(indexed(field, i), "fewer than 2 minutiae: the print cannot be searched")
		}
		if t.Position != minutiae.UnknownFinger && seen[t.Position] {
			v.add(indexed(field, i)+".position", "position %d given twice", t.Position)
		}
		seen[t.Position] = true
	}
}

// checkFinger checks what can be checked of a finger without decoding it.
func checkFinger(v *violations, field string, f *whorlv1.Finger) {
	if f == nil {
		v.add(field, "required")
		return
	}
	checkPosition(v, field+".position", f.GetPosition())
	checkImpression(v, field+".impression_type", f.GetImpressionType())
	switch src := f.GetSource().(type) {
	case *whorlv1.Finger_Image:
		checkImage(v, field+".image", src.Image)
	case *whorlv1.Finger_Template:
		// A template is cheap to check whole: done here, before any
		// token is taken, so a malformed one is InvalidArgument even
		// under load.
		if src.Template == nil {
			v.add(field+".template", "required")
		} else if _, err := minutiae.TemplateFromProto(src.Template); err != nil {
			v.add(field+".template", "%v", err)
		}
	default:
		v.add(field, "an image or a template is required")
	}
}

func checkImage(v *violations, field string, img *whorlv1.Image) {
	switch n := len(img.GetData()); {
	case n == 0:
		v.add(field+".data", "empty")
	case n > maxImageBytes:
		v.add(field+".data", "%d bytes, at most %d", n, maxImageBytes)
	}
	if p := img.GetPpi(); p != 0 && (p < minutiae.MinPPI || p > minutiae.MaxPPI) {
		v.add(field+".ppi", "%d ppi outside %d-%d", p, minutiae.MinPPI, minutiae.MaxPPI)
	}
}

// fingerTemplate turns a checked finger into a template: a template is
// validated, an image decoded (at most the pixels the decoders allow) and
// its minutiae extracted. The finger's position and impression override
// the template's. Errors are InvalidArgument naming the field.
func fingerTemplate(field string, f *whorlv1.Finger) (minutiae.Template, error) {
	var t minutiae.Template
	switch src := f.GetSource().(type) {
	case *whorlv1.Finger_Template:
		var err error
		if t, err = minutiae.TemplateFromProto(src.Template); err != nil {
			return t, invalid(field+".template", "%v", err)
		}
	case *whorlv1.Finger_Image:
		var err error
		if t, err = extract(field+".image", src.Image, f.GetPosition(), f.GetImpressionType()); err != nil {
			return t, err
		}
	}
	if f.GetPosition() != 0 {
		t.Position = minutiae.FingerPosition(f.GetPosition())
	}
	if f.GetImpressionType() != 0 {
		t.Impression, _ = minutiae.ImpressionFromProto(f.GetImpressionType())
	}
	return t, nil
}

// extract decodes and extracts one checked image.
func extract(field string, img *whorlv1.Image, pos whorlv1.FingerPosition, impression whorlv1.ImpressionType) (minutiae.Template, error) {
	im, err := minutiae.DecodeImage(img.GetData(), float64(img.GetPpi()))
	if err != nil {
		return minutiae.Template{}, invalid(field+".data", "%v", err)
	}
	imp, _ := minutiae.ImpressionFromProto(impression)
	t, err := minutiae.Extract(im, &minutiae.ExtractOptions{Position: minutiae.FingerPosition(pos), Impression: imp})
	if errors.Is(err, minutiae.ErrNoFingerprint) {
		return minutiae.Template{}, invalid(field+".data", "no fingerprint found in the image")
	}
	if err != nil {
		return minutiae.Template{}, invalid(field+".data", "%v", err)
	}
	return t, nil
}
