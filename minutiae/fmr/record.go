package fmr

import "fmt"

// Format is one of the finger minutiae record formats the package reads and
// writes.
type Format uint8

const (
	// ISO2005 is ISO/IEC 19794-2:2005 (magic "FMR\0", version " 20\0").
	ISO2005 Format = iota + 1
	// ISO2011 is ISO/IEC 19794-2:2011 (magic "FMR\0", version "030\0").
	ISO2011
	// ANSI378 is ANSI INCITS 378-2004 (magic "FMR\0", version " 20\0").
	ANSI378
)

func (f Format) String() string {
	switch f {
	case ISO2005:
		return "ISO/IEC 19794-2:2005"
	case ISO2011:
		return "ISO/IEC 19794-2:2011"
	case ANSI378:
		return "ANSI INCITS 378-2004"
	}
	return fmt.Sprintf("Format(%d)", uint8(f))
}

func (f Format) valid() bool { return f >= ISO2005 && f <= ANSI378 }

// legacy reports whether f is one of the two " 20\0" formats, which share the
// finger view layout and keep image size and resolution in the record header.
func (f Format) legacy() bool { return f == ISO2005 || f == ANSI378 }

// Record is one finger minutiae record with every field of the file, so that
// Encode(Decode(b)) gives back b byte for byte. Fields a format does not have
// are zero; Encode refuses a record that sets them, so nothing is silently
// dropped. Codes (finger position, impression, minutia type, qualities) are
// kept as they are in the file; Template interprets them.
type Record struct {
	Format Format

	// Record header fields of ISO 2005 and ANSI 378 (zero in ISO 2011, which
	// keeps size and resolution per representation, in View).

	// ProductOwner and ProductType are the CBEFF product identifier (ANSI
	// 378 only): the IBIA-registered owner of the extractor and its type.
	ProductOwner, ProductType uint16
	// EquipmentCompliance is the 4-bit capture equipment certification
	// (ISO 2005) or compliance (ANSI 378) field.
	EquipmentCompliance uint8
	// EquipmentID is the 12-bit capture device type (ISO 2005) or capture
	// equipment ID (ANSI 378).
	EquipmentID uint16
	// Width and Height are the image size in pixels.
	Width, Height uint16
	// ResolutionX and ResolutionY are in pixels per centimetre (197 ≈ 500
	// ppi).
	ResolutionX, ResolutionY uint16
	// Reserved is the header's last byte, reserved (zero) in both
	// standards; kept so that a file that sets it survives a round trip.
	Reserved uint8
	// LongLength (ANSI 378 only) records that the length was written in the
	// 6-byte form (0x0000 then 4 bytes) although it fits in 2. Encode uses
	// the long form when this is set or when the record needs it.
	LongLength bool

	// HasCertifications is the ISO 2011 general header's device
	// certification block flag: when set, every representation carries a
	// certification record (possibly empty).
	HasCertifications bool

	// Views are the finger views (ISO 2005, ANSI 378) or finger
	// representations (ISO 2011), in file order.
	Views []View
}

// View is one finger view (ISO 2005, ANSI 378) or finger representation
// (ISO 2011).
type View struct {
	// Position is the finger position code (0 unknown, 1–10 the fingers;
	// ISO 2011 adds multi-finger codes).
	Position uint8
	// Number is the 4-bit view number (ISO 2005, ANSI 378) or the 8-bit
	// representation number (ISO 2011).
	Number uint8
	// Impression is the impression type code (4 bits in ISO 2005 and ANSI
	// 378).
	Impression uint8
	// Quality is the finger quality 0–100 of ISO 2005 and ANSI 378. ISO
	// 2011 has quality blocks instead (Qualities) and this must be zero.
	Quality  uint8
	Minutiae []Minutia
	// Extended holds the extended data areas in file order, raw; see
	// ExtendedData for the typed forms.
	Extended []ExtendedData

	// ISO 2011 representation fields (zero in ISO 2005 and ANSI 378).

	CaptureTime CaptureTime
	// DeviceTechnology is the capture device technology code (0 unknown).
	DeviceTechnology uint8
	// DeviceVendor and DeviceType identify the capture device (0 unknown).
	DeviceVendor, DeviceType uint16
	Qualities                []QualityBlock
	// Certifications is written only when Record.HasCertifications is set.
	Certifications []CertificationBlock
	// Width, Height, ResolutionX and ResolutionY are as in Record, per
	// representation.
	Width, Height            uint16
	ResolutionX, ResolutionY uint16
	// MinutiaSize is the size of one minutia in bytes: 6 with a quality
	// byte, 5 without (then every Minutia.Quality must be zero).
	MinutiaSize uint8
	// RidgeEndingType is the 4-bit code for where ridge endings were placed:
	// 0 at the valley skeleton bifurcation (the ISO 2005 rule), 1 at the
	// ridge skeleton end (the ANSI 378 rule).
	RidgeEndingType uint8
}

// Minutia is one minutia as the record stores it.
type Minutia struct {
	// Type is the 2-bit minutia type: 0 other, 1 ridge ending,
	// 2 bifurcation, 3 reserved.
	Type uint8
	// X and Y are the 14-bit position in pixels, origin top left.
	X, Y uint16
	// Reserved holds the 2 reserved bits above Y, kept for fidelity.
	Reserved uint8
	// Angle is in units of 360/256 degrees (ISO 2005, ISO 2011) or of 2
	// degrees, 0–179 (ANSI 378), counter-clockwise from the x axis.
	Angle uint8
	// Quality is 0–100 (0 not reported in ISO 2005 and ANSI 378; ISO 2011
	// uses 254 for not reported and 255 for failed).
	Quality uint8
}

// ExtendedData is one extended data area of a view: a 16-bit type and its
// bytes, kept raw so that vendor-specific areas survive untouched. Type 1 is
// ridge count data and 2 core and delta data (see RidgeCounts and
// CoreDelta); ISO uses 3 for zonal quality; other values are vendor defined.
type ExtendedData struct {
	Type uint16
	Data []byte
}

// CaptureTime is the ISO 2011 capture date and time in UTC. A record that
// does not give it stores every field as all ones (0xFFFF, 0xFF).
type CaptureTime struct {
	Year                             uint16
	Month, Day, Hour, Minute, Second uint8
	Millisecond                      uint16
}

// unknownCaptureTime is the "not given" value of CaptureTime.
var unknownCaptureTime = CaptureTime{0xFFFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFFFF}

// QualityBlock is one ISO 2011 quality block: a score (0–100, 255 failed)
// and the IBIA-registered vendor and algorithm that computed it.
type QualityBlock struct {
	Score       uint8
	VendorID    uint16
	AlgorithmID uint16
}

// CertificationBlock is one ISO 2011 certification block.
type CertificationBlock struct {
	AuthorityID uint16
	SchemeID    uint8
}
