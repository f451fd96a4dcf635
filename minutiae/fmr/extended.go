package fmr

import (
	"encoding/binary"
	"fmt"
)

// Extended data area types defined by all three standards. Other types are
// vendor defined (ISO also defines 3, zonal quality), kept raw.
const (
	TypeRidgeCount uint16 = 0x0001
	TypeCoreDelta  uint16 = 0x0002
)

// RidgeCountData is the ridge count area (TypeRidgeCount), laid out the same
// in the three formats: the extraction method, then 3-byte entries.
type RidgeCountData struct {
	// Method is 0 (unspecified), 1 (four nearest neighbours, one in each
	// quadrant) or 2 (eight, one in each octant).
	Method uint8
	Counts []RidgeCount
}

// RidgeCount is the number of ridges crossed between two minutiae, given by
// their indexes as the record stores them.
type RidgeCount struct {
	A, B  uint8
	Count uint8
}

// RidgeCounts parses e as ridge count data. It fails if e is not of that
// type or its length is not 1 + 3n.
func (e ExtendedData) RidgeCounts() (RidgeCountData, error) {
	if e.Type != TypeRidgeCount {
		return RidgeCountData{}, fmt.Errorf("fmr: extended data type %#04x is not ridge count data (%#04x)", e.Type, TypeRidgeCount)
	}
	if len(e.Data) == 0 || (len(e.Data)-1)%3 != 0 {
		return RidgeCountData{}, fmt.Errorf("fmr: ridge count data of %d bytes: want the method byte and 3 bytes an entry", len(e.Data))
	}
	d := RidgeCountData{Method: e.Data[0]}
	if n := (len(e.Data) - 1) / 3; n > 0 {
		d.Counts = make([]RidgeCount, n)
		for i := range d.Counts {
			b := e.Data[1+3*i:]
			d.Counts[i] = RidgeCount{A: b[0], B: b[1], Count: b[2]}
		}
	}
	return d, nil
}

// Extended encodes d as an extended data area.
func (d RidgeCountData) Extended() ExtendedData {
	b := make([]byte, 0, 1+3*len(d.Counts))
	b = append(b, d.Method)
	for _, c := range d.Counts {
		b = append(b, c.A, c.B, c.Count)
	}
	return ExtendedData{Type: TypeRidgeCount, Data: b}
}

// CoreDeltaData is the core and delta area (TypeCoreDelta). Positions are
// pixels and angles are in the record's minutia angle units, as stored.
type CoreDeltaData struct {
	Cores  []Core
	Deltas []Delta
}

// Core is one core point.
type Core struct {
	X, Y     uint16
	HasAngle bool
	Angle    uint8
}

// Delta is one delta point, with the directions of its three ridges.
type Delta struct {
	X, Y      uint16
	HasAngles bool
	Angles    [3]uint8
}

// The core and delta layouts differ between the standards:
//
//	ANSI 378:  a byte of angle flag (2 bits, 01 = angles present), reserved
//	           (2 bits) and core count (4 bits); each core x (14 bits under 2
//	           reserved), y (likewise), the angle if flagged; then the same for
//	           the deltas, with three angles each.
//	ISO:       a core count byte; each core x (14 bits under a 2-bit flag,
//	           01 = angle present), y (14 bits under 2 reserved), the angle if
//	           flagged; then a delta count byte and the deltas likewise, with
//	           three angles each.
//
// Values this package cannot represent (reserved bits set, undefined flag
// values) make CoreDelta fail; the raw area still round-trips.

// CoreDelta parses e as core and delta data in the layout of format f.
func (e ExtendedData) CoreDelta(f Format) (CoreDeltaData, error) {
	if e.Type != TypeCoreDelta {
		return CoreDeltaData{}, fmt.Errorf("fmr: extended data type %#04x is not core and delta data (%#04x)", e.Type, TypeCoreDelta)
	}
	if !f.valid() {
		return CoreDeltaData{}, fmt.Errorf("fmr: core and delta data: unknown format %v", f)
	}
	p := cdParser{f: f, b: e.Data}
	var d CoreDeltaData
	var err error
	if d.Cores, err = parsePoints(&p, "core", 1, func(x, y uint16, has bool, a []byte) Core {
		c := Core{X: x, Y: y, HasAngle: has}
		if has {
			c.Angle = a[0]
		}
		return c
	}); err != nil {
		return CoreDeltaData{}, err
	}
	if d.Deltas, err = parsePoints(&p, "delta", 3, func(x, y uint16, has bool, a []byte) Delta {
		dl := Delta{X: x, Y: y, HasAngles: has}
		if has {
			copy(dl.Angles[:], a)
		}
		return dl
	}); err != nil {
		return CoreDeltaData{}, err
	}
	if p.off != len(p.b) {
		return CoreDeltaData{}, fmt.Errorf("fmr: %v core and delta data: %d bytes after the last delta, at byte %d of the area's data",
			f, len(p.b)-p.off, p.off)
	}
	return d, nil
}

type cdParser struct {
	f   Format
	b   []byte
	off int
}

func (p *cdParser) errorf(format string, args ...any) error {
	return fmt.Errorf("fmr: %v core and delta data: %s", p.f, fmt.Sprintf(format, args...))
}

// parsePoints reads a count byte and that many points (cores or deltas)
// carrying nAngles angle bytes when flagged.
func parsePoints[T any](p *cdParser, what string, nAngles int, mk func(x, y uint16, has bool, angles []byte) T) ([]T, error) {
	if p.off >= len(p.b) {
		return nil, p.errorf("%s count at byte %d: missing", what, p.off)
	}
	cb := p.b[p.off]
	count := int(cb)
	ansiHas := false
	if p.f == ANSI378 {
		flag := cb >> 6
		if flag > 1 || cb&0x30 != 0 {
			return nil, p.errorf("%s count byte %#02x at byte %d: undefined angle flag or reserved bits set", what, cb, p.off)
		}
		ansiHas, count = flag == 1, int(cb&0x0F)
		if ansiHas && count == 0 {
			return nil, p.errorf("%s count byte %#02x at byte %d: angles flagged for no %ss", what, cb, p.off, what)
		}
	}
	p.off++
	if count == 0 {
		return nil, nil
	}
	if count*4 > len(p.b)-p.off {
		return nil, p.errorf("%d %ss at byte %d need at least %d bytes, %d left", count, what, p.off, count*4, len(p.b)-p.off)
	}
	out := make([]T, 0, count)
	for i := 0; i < count; i++ {
		if len(p.b)-p.off < 4 {
			return nil, p.errorf("%s %d at byte %d: needs 4 bytes, %d left", what, i, p.off, len(p.b)-p.off)
		}
		x := binary.BigEndian.Uint16(p.b[p.off:])
		y := binary.BigEndian.Uint16(p.b[p.off+2:])
		has := ansiHas
		if p.f == ANSI378 {
			if x>>14 != 0 {
				return nil, p.errorf("%s %d x at byte %d: reserved bits set", what, i, p.off)
			}
		} else {
			if x>>14 > 1 {
				return nil, p.errorf("%s %d x at byte %d: undefined angle flag %d", what, i, p.off, x>>14)
			}
			has = x>>14 == 1
		}
		if y>>14 != 0 {
			return nil, p.errorf("%s %d y at byte %d: reserved bits set", what, i, p.off+2)
		}
		p.off += 4
		var angles []byte
		if has {
			if len(p.b)-p.off < nAngles {
				return nil, p.errorf("%s %d angles at byte %d: need %d bytes, %d left", what, i, p.off, nAngles, len(p.b)-p.off)
			}
			angles = p.b[p.off : p.off+nAngles]
			p.off += nAngles
		}
		out = append(out, mk(x&0x3FFF, y, has, angles))
	}
	return out, nil
}

// Extended encodes d as an extended data area in the layout of format f. It
// fails for positions beyond 14 bits, more points than the count holds, and
// (ANSI 378, which flags angles once for all cores and once for all deltas)
// points that disagree on having angles.
func (d CoreDeltaData) Extended(f Format) (ExtendedData, error) {
	if !f.valid() {
		return ExtendedData{}, fmt.Errorf("fmr: core and delta data: unknown format %v", f)
	}
	cores := make([]point, len(d.Cores))
	for i, c := range d.Cores {
		cores[i] = point{c.X, c.Y, c.HasAngle, []byte{c.Angle}}
	}
	deltas := make([]point, len(d.Deltas))
	for i, dl := range d.Deltas {
		deltas[i] = point{dl.X, dl.Y, dl.HasAngles, dl.Angles[:]}
	}
	var b []byte
	var err error
	if b, err = appendPoints(b, f, "core", cores); err != nil {
		return ExtendedData{}, err
	}
	if b, err = appendPoints(b, f, "delta", deltas); err != nil {
		return ExtendedData{}, err
	}
	return ExtendedData{Type: TypeCoreDelta, Data: b}, nil
}

type point struct {
	x, y   uint16
	has    bool
	angles []byte
}

func appendPoints(b []byte, f Format, what string, ps []point) ([]byte, error) {
	maxCount := 255
	if f == ANSI378 {
		maxCount = 15
	}
	if len(ps) > maxCount {
		return nil, fmt.Errorf("fmr: %v core and delta data: %d %ss, more than the count holds (%d)", f, len(ps), what, maxCount)
	}
	for i, p := range ps {
		if p.x > 0x3FFF || p.y > 0x3FFF {
			return nil, fmt.Errorf("fmr: %v core and delta data: %s %d position (%d, %d) does not fit in 14 bits", f, what, i, p.x, p.y)
		}
		if f == ANSI378 && p.has != ps[0].has {
			return nil, fmt.Errorf("fmr: %v core and delta data: %s %d disagrees with %s 0 on having angles; ANSI 378 flags them once for all", f, what, i, what)
		}
	}
	count := uint8(len(ps))
	if f == ANSI378 && len(ps) > 0 && ps[0].has {
		count |= 0x40
	}
	b = append(b, count)
	for _, p := range ps {
		x := p.x
		if f != ANSI378 && p.has {
			x |= 0x4000
		}
		b = binary.BigEndian.AppendUint16(b, x)
		b = binary.BigEndian.AppendUint16(b, p.y)
		if p.has {
			b = append(b, p.angles...)
		}
	}
	return b, nil
}
