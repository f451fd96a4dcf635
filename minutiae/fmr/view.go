package fmr

import (
	"io"
	"strconv"
)

// The finger view of ISO 2005 and ANSI 378, which share it byte for byte:
//
//	finger position        1 byte
//	view number            4 bits (high)
//	impression type        4 bits (low)
//	finger quality         1 byte
//	minutia count          1 byte
//	minutiae               6 bytes each: type (2 bits) and x (14 bits),
//	                       reserved (2 bits) and y (14 bits), angle, quality
//	extended data block    2-byte length, then the areas

// legacyViewMin is the smallest finger view: the 4-byte header and an empty
// extended data block.
const legacyViewMin = 6

// legacyViews reads count finger views; countOff is where the count was read,
// for the error when the input cannot hold that many.
func (r *reader) legacyViews(count, countOff int) ([]View, error) {
	if count == 0 {
		return nil, nil
	}
	if count*legacyViewMin > r.left() {
		return nil, r.fail(countOff, "finger view count", "%d views need at least %d bytes, %d left: %w",
			count, count*legacyViewMin, r.left(), io.ErrUnexpectedEOF)
	}
	views := make([]View, count)
	r.scopeName = "finger view"
	defer func() { r.scopeName = "" }()
	for i := range views {
		r.scopeIndex = i
		v := &views[i]
		var err error
		if v.Position, err = r.u8("finger position"); err != nil {
			return nil, err
		}
		b, err := r.u8("view number and impression type")
		if err != nil {
			return nil, err
		}
		v.Number, v.Impression = b>>4, b&0x0F
		if v.Quality, err = r.u8("finger quality"); err != nil {
			return nil, err
		}
		n, err := r.u8("minutia count")
		if err != nil {
			return nil, err
		}
		if v.Minutiae, err = r.minutiae(int(n), 6); err != nil {
			return nil, err
		}
		if v.Extended, err = r.extended(); err != nil {
			return nil, err
		}
	}
	return views, nil
}

func legacyViewSize(v *View) int {
	return 4 + 6*len(v.Minutiae) + extendedSize(v.Extended)
}

func appendLegacyView(b []byte, v *View) []byte {
	b = append(b, v.Position, v.Number<<4|v.Impression, v.Quality, uint8(len(v.Minutiae)))
	for _, m := range v.Minutiae {
		b = appendMinutia(b, m, 6)
	}
	return appendExtended(b, v.Extended)
}

// checkLegacyRecord reports the first field of r that ISO 2005 or ANSI 378
// cannot hold.
func checkLegacyRecord(r *Record) error {
	f := r.Format
	switch {
	case r.EquipmentCompliance > 0x0F:
		return errEncode(f, "equipment compliance %d does not fit in 4 bits", r.EquipmentCompliance)
	case r.EquipmentID > 0x0FFF:
		return errEncode(f, "equipment ID %d does not fit in 12 bits", r.EquipmentID)
	case r.HasCertifications:
		return notInFormat(f, "HasCertifications")
	case len(r.Views) > 255:
		return errEncode(f, "%d finger views, more than the one-byte count holds (255)", len(r.Views))
	}
	for i := range r.Views {
		v := &r.Views[i]
		switch {
		case v.Number > 0x0F:
			return errEncode(f, "view %d: view number %d does not fit in 4 bits", i, v.Number)
		case v.Impression > 0x0F:
			return errEncode(f, "view %d: impression type %d does not fit in 4 bits", i, v.Impression)
		case v.CaptureTime != CaptureTime{}:
			return notInFormat(f, viewField(i, "CaptureTime"))
		case v.DeviceTechnology != 0:
			return notInFormat(f, viewField(i, "DeviceTechnology"))
		case v.DeviceVendor != 0:
			return notInFormat(f, viewField(i, "DeviceVendor"))
		case v.DeviceType != 0:
			return notInFormat(f, viewField(i, "DeviceType"))
		case len(v.Qualities) != 0:
			return notInFormat(f, viewField(i, "Qualities"))
		case len(v.Certifications) != 0:
			return notInFormat(f, viewField(i, "Certifications"))
		case v.Width != 0 || v.Height != 0:
			return notInFormat(f, viewField(i, "Width/Height (the record header holds the image size)"))
		case v.ResolutionX != 0 || v.ResolutionY != 0:
			return notInFormat(f, viewField(i, "ResolutionX/ResolutionY (the record header holds the resolution)"))
		case v.MinutiaSize != 0:
			return notInFormat(f, viewField(i, "MinutiaSize"))
		case v.RidgeEndingType != 0:
			return notInFormat(f, viewField(i, "RidgeEndingType"))
		}
		if err := checkMinutiae(f, i, v.Minutiae, 6); err != nil {
			return err
		}
		if err := checkExtended(f, i, v.Extended); err != nil {
			return err
		}
	}
	return nil
}

func viewField(i int, name string) string {
	return "view " + strconv.Itoa(i) + " " + name
}
