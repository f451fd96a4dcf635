package minutiae

import (
	"fmt"
	"math"
)

// StandardPPI is the resolution every template and image is rescaled to at
// the edge. Positions in a Template are pixels at this resolution.
const StandardPPI = 500

// Kind is the type of a minutia.
type Kind uint8

const (
	// KindOther is a minutia of another or unknown type (ISO/IEC 19794-2 "other").
	KindOther Kind = iota
	// KindEnding is a ridge ending.
	KindEnding
	// KindBifurcation is a ridge bifurcation.
	KindBifurcation
)

func (k Kind) String() string {
	switch k {
	case KindOther:
		return "other"
	case KindEnding:
		return "ending"
	case KindBifurcation:
		return "bifurcation"
	}
	return fmt.Sprintf("Kind(%d)", uint8(k))
}

// Valid reports whether k is one of the defined kinds.
func (k Kind) Valid() bool { return k <= KindBifurcation }

// FingerPosition is the ANSI/NIST-ITL finger position code (table 8 of
// ANSI/NIST-ITL 1-2011), which ISO/IEC 19794-2 and ANSI INCITS 378 share for
// the codes 0–10.
type FingerPosition uint8

const (
	UnknownFinger FingerPosition = iota
	RightThumb
	RightIndex
	RightMiddle
	RightRing
	RightLittle
	LeftThumb
	LeftIndex
	LeftMiddle
	LeftRing
	LeftLittle
)

// MaxFingerPosition is the largest finger position code in the model.
const MaxFingerPosition = LeftLittle

var fingerNames = [...]string{
	"unknown", "right thumb", "right index", "right middle", "right ring", "right little",
	"left thumb", "left index", "left middle", "left ring", "left little",
}

// slapNames names the ANSI/NIST-ITL codes beyond the ten fingers that
// transactions carry for plain (slap) impressions. They are not positions a
// template can have (Valid is false), but readers report them.
var slapNames = map[FingerPosition]string{
	11: "plain right thumb", 12: "plain left thumb", 13: "plain right four fingers",
	14: "plain left four fingers", 15: "plain thumbs",
}

func (p FingerPosition) String() string {
	if p.Valid() {
		return fingerNames[p]
	}
	if name, ok := slapNames[p]; ok {
		return name
	}
	return fmt.Sprintf("FingerPosition(%d)", uint8(p))
}

// Valid reports whether p is a code from 0 (unknown) to 10 (left little).
func (p FingerPosition) Valid() bool { return p <= MaxFingerPosition }

// Impression is how the print was captured. The values are the ANSI/NIST-ITL
// impression type codes (table 7 of ANSI/NIST-ITL 1-2011), which ISO/IEC
// 19794-2 shares for 0–3 and 8.
type Impression uint8

const (
	LivePlain         Impression = 0  // live-scan plain
	LiveRolled        Impression = 1  // live-scan rolled
	NonLivePlain      Impression = 2  // non-live-scan plain (inked card)
	NonLiveRolled     Impression = 3  // non-live-scan rolled (inked card)
	Latent            Impression = 4  // latent impression (crime scene)
	LatentTracing     Impression = 5  // latent tracing
	LatentPhoto       Impression = 6  // latent photo
	LatentLift        Impression = 7  // latent lift
	LiveSwipe         Impression = 8  // live-scan swipe (the code ISO/IEC 19794-2 uses)
	LiveContactless   Impression = 24 // live-scan optical contactless plain
	UnknownImpression Impression = 29
)

// Valid reports whether i is an impression code the model carries: 0–8
// (plain, rolled, latent kinds, swipe), 24 and 29.
func (i Impression) Valid() bool {
	return i <= LiveSwipe || i == LiveContactless || i == UnknownImpression
}

// IsLatent reports whether the impression is one of the latent kinds.
func (i Impression) IsLatent() bool { return i >= Latent && i <= LatentLift }

func (i Impression) String() string {
	switch i {
	case LivePlain:
		return "live plain"
	case LiveRolled:
		return "live rolled"
	case NonLivePlain:
		return "non-live plain"
	case NonLiveRolled:
		return "non-live rolled"
	case Latent:
		return "latent"
	case LatentTracing:
		return "latent tracing"
	case LatentPhoto:
		return "latent photo"
	case LatentLift:
		return "latent lift"
	case LiveSwipe:
		return "live swipe"
	case LiveContactless:
		return "live contactless"
	case UnknownImpression:
		return "unknown"
	}
	return fmt.Sprintf("Impression(%d)", uint8(i))
}

// Minutia is one ridge ending or bifurcation.
type Minutia struct {
	// X and Y are the position in pixels at 500 ppi from the top-left corner.
	X, Y float32
	// Direction is in radians in [0, 2π), counter-clockwise from the x axis,
	// pointing along the ridge away from the minutia (ISO/IEC 19794-2).
	Direction float32
	Kind      Kind
	// Quality is 0–100; 0 means unknown.
	Quality uint8
}

// Template is the internal model of one finger's features. The zero value is
// an empty template of an unknown finger.
type Template struct {
	// Width and Height are the image size in pixels at 500 ppi.
	Width, Height int
	Position      FingerPosition
	Impression    Impression
	// Quality is the overall quality 0–100; 0 means unknown.
	Quality  uint8
	Minutiae []Minutia
}

// Limits on what a template may hold. They bound allocations when decoding
// untrusted bytes and match what the foreign formats can express.
const (
	// MaxMinutiae is the largest minutia count in one template (the
	// one-byte count of ISO/IEC 19794-2 and ANSI INCITS 378).
	MaxMinutiae = 255
	// MaxDimension is the largest width or height in pixels at 500 ppi
	// (the 14-bit coordinates of the minutia formats).
	MaxDimension = 1<<14 - 1
)

// Validate reports the first way in which t breaks the model's invariants,
// naming the field.
func (t *Template) Validate() error {
	if t.Width < 0 || t.Width > MaxDimension {
		return fmt.Errorf("minutiae: template width %d outside 0..%d", t.Width, MaxDimension)
	}
	if t.Height < 0 || t.Height > MaxDimension {
		return fmt.Errorf("minutiae: template height %d outside 0..%d", t.Height, MaxDimension)
	}
	if !t.Position.Valid() {
		return fmt.Errorf("minutiae: finger position %d outside 0..%d", t.Position, MaxFingerPosition)
	}
	if !t.Impression.Valid() {
		return fmt.Errorf("minutiae: impression type %d is not defined", t.Impression)
	}
	if t.Quality > 100 {
		return fmt.Errorf("minutiae: template quality %d above 100", t.Quality)
	}
	if len(t.Minutiae) > MaxMinutiae {
		return fmt.Errorf("minutiae: %d minutiae, more than %d", len(t.Minutiae), MaxMinutiae)
	}
	for i, m := range t.Minutiae {
		if err := m.validate(); err != nil {
			return fmt.Errorf("minutiae: minutia %d: %w", i, err)
		}
	}
	return nil
}

func (m Minutia) validate() error {
	if !(m.X >= 0 && m.X <= MaxDimension) || !(m.Y >= 0 && m.Y <= MaxDimension) {
		return fmt.Errorf("position (%g, %g) outside 0..%d", m.X, m.Y, MaxDimension)
	}
	if !(m.Direction >= 0 && m.Direction < 2*math.Pi) {
		return fmt.Errorf("direction %g outside [0, 2π)", m.Direction)
	}
	if !m.Kind.Valid() {
		return fmt.Errorf("kind %d is not defined", m.Kind)
	}
	if m.Quality > 100 {
		return fmt.Errorf("quality %d above 100", m.Quality)
	}
	return nil
}

// NormalizeAngle maps any angle in radians into [0, 2π).
func NormalizeAngle(a float64) float32 {
	a = math.Mod(a, 2*math.Pi)
	if a < 0 {
		a += 2 * math.Pi
	}
	r := float32(a)
	if r >= 2*math.Pi { // float32 rounding can land on 2π itself
		r = 0
	}
	return r
}
