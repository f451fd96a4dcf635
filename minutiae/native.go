package minutiae

import (
	"fmt"

	"google.golang.org/protobuf/proto"

	whorlv1 "github.com/whorlafis/whorl/proto/whorl/v1"
)

// MaxNativeSize bounds the bytes UnmarshalTemplate accepts: a template of
// MaxMinutiae minutiae is under 4 KiB in the native encoding, so anything
// much larger is not one.
const MaxNativeSize = 64 << 10

// impressionToProto maps the ANSI/NIST-ITL impression codes of the model to
// the API enum, whose zero is reserved for "not set".
var impressionToProto = map[Impression]whorlv1.ImpressionType{
	UnknownImpression: whorlv1.ImpressionType_IMPRESSION_TYPE_UNSPECIFIED,
	LivePlain:         whorlv1.ImpressionType_IMPRESSION_TYPE_LIVE_PLAIN,
	LiveRolled:        whorlv1.ImpressionType_IMPRESSION_TYPE_LIVE_ROLLED,
	NonLivePlain:      whorlv1.ImpressionType_IMPRESSION_TYPE_NONLIVE_PLAIN,
	NonLiveRolled:     whorlv1.ImpressionType_IMPRESSION_TYPE_NONLIVE_ROLLED,
	Latent:            whorlv1.ImpressionType_IMPRESSION_TYPE_LATENT,
	LatentTracing:     whorlv1.ImpressionType_IMPRESSION_TYPE_LATENT_TRACING,
	LatentPhoto:       whorlv1.ImpressionType_IMPRESSION_TYPE_LATENT_PHOTO,
	LatentLift:        whorlv1.ImpressionType_IMPRESSION_TYPE_LATENT_LIFT,
	LiveSwipe:         whorlv1.ImpressionType_IMPRESSION_TYPE_LIVE_SWIPE,
	LiveContactless:   whorlv1.ImpressionType_IMPRESSION_TYPE_LIVE_CONTACTLESS,
}

var impressionFromProto = func() map[whorlv1.ImpressionType]Impression {
	m := make(map[whorlv1.ImpressionType]Impression, len(impressionToProto))
	for k, v := range impressionToProto {
		m[v] = k
	}
	return m
}()

// ToProto converts t to the API message. It fails if t is not valid.
func (t *Template) ToProto() (*whorlv1.Template, error) {
	if err := t.Validate(); err != nil {
		return nil, err
	}
	n := len(t.Minutiae)
	p := &whorlv1.Template{
		Width:          uint32(t.Width),
		Height:         uint32(t.Height),
		FingerPosition: whorlv1.FingerPosition(t.Position),
		ImpressionType: impressionToProto[t.Impression],
		Quality:        uint32(t.Quality),
		X:              make([]float32, n),
		Y:              make([]float32, n),
		Direction:      make([]float32, n),
		Kinds:          make([]whorlv1.MinutiaKind, n),
		Qualities:      make([]uint32, n),
	}
	for i, m := range t.Minutiae {
		p.X[i], p.Y[i], p.Direction[i] = m.X, m.Y, m.Direction
		p.Kinds[i] = whorlv1.MinutiaKind(m.Kind)
		p.Qualities[i] = uint32(m.Quality)
	}
	return p, nil
}

// TemplateFromProto converts the API message to a template and validates it,
// so a template that comes from outside satisfies the model's invariants.
func TemplateFromProto(p *whorlv1.Template) (Template, error) {
	n := len(p.GetX())
	if len(p.GetY()) != n || len(p.GetDirection()) != n || len(p.GetKinds()) != n || len(p.GetQualities()) != n {
		return Template{}, fmt.Errorf("minutiae: template columns differ in length: x %d, y %d, direction %d, kinds %d, qualities %d",
			n, len(p.GetY()), len(p.GetDirection()), len(p.GetKinds()), len(p.GetQualities()))
	}
	if n > MaxMinutiae {
		return Template{}, fmt.Errorf("minutiae: template has %d minutiae, more than %d", n, MaxMinutiae)
	}
	if p.GetWidth() > MaxDimension || p.GetHeight() > MaxDimension {
		return Template{}, fmt.Errorf("minutiae: template size %d×%d beyond %d", p.GetWidth(), p.GetHeight(), MaxDimension)
	}
	imp, ok := impressionFromProto[p.GetImpressionType()]
	if !ok {
		return Template{}, fmt.Errorf("minutiae: impression_type %d is not defined", p.GetImpressionType())
	}
	if p.GetFingerPosition() < 0 || p.GetFingerPosition() > whorlv1.FingerPosition(MaxFingerPosition) {
		return Template{}, fmt.Errorf("minutiae: finger_position %d outside 0..%d", p.GetFingerPosition(), MaxFingerPosition)
	}
	if p.GetQuality() > 100 {
		return Template{}, fmt.Errorf("minutiae: template quality %d above 100", p.GetQuality())
	}
	t := Template{
		Width:      int(p.GetWidth()),
		Height:     int(p.GetHeight()),
		Position:   FingerPosition(p.GetFingerPosition()),
		Impression: imp,
		Quality:    uint8(p.GetQuality()),
	}
	if n > 0 {
		t.Minutiae = make([]Minutia, n)
	}
	for i := range t.Minutiae {
		k, q := p.Kinds[i], p.Qualities[i]
		if k < 0 || k > whorlv1.MinutiaKind(KindBifurcation) {
			return Template{}, fmt.Errorf("minutiae: minutia %d: kind %d is not defined", i, k)
		}
		if q > 100 {
			return Template{}, fmt.Errorf("minutiae: minutia %d: quality %d above 100", i, q)
		}
		t.Minutiae[i] = Minutia{X: p.X[i], Y: p.Y[i], Direction: p.Direction[i], Kind: Kind(k), Quality: uint8(q)}
	}
	if err := t.Validate(); err != nil {
		return Template{}, err
	}
	return t, nil
}

// MarshalTemplate encodes t in the native encoding (the whorl.v1.Template
// protobuf message). The encoding is deterministic: equal templates give
// equal bytes.
func MarshalTemplate(t *Template) ([]byte, error) {
	p, err := t.ToProto()
	if err != nil {
		return nil, err
	}
	return proto.MarshalOptions{Deterministic: true}.Marshal(p)
}

// UnmarshalTemplate decodes the native encoding and validates the result.
func UnmarshalTemplate(data []byte) (Template, error) {
	if len(data) > MaxNativeSize {
		return Template{}, fmt.Errorf("minutiae: native template of %d bytes exceeds %d", len(data), MaxNativeSize)
	}
	var p whorlv1.Template
	if err := proto.Unmarshal(data, &p); err != nil {
		return Template{}, fmt.Errorf("minutiae: native template: %w", err)
	}
	return TemplateFromProto(&p)
}

// ImpressionFromProto maps the API's impression enum to the model's
// ANSI/NIST-ITL code; ok is false for a value the API does not define.
func ImpressionFromProto(p whorlv1.ImpressionType) (imp Impression, ok bool) {
	imp, ok = impressionFromProto[p]
	return imp, ok
}
