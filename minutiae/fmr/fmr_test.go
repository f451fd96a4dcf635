package fmr

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Synthetic records, one per format, that set every field the format has to
// something other than its zero value where the format allows it. They are
// also the fuzz seeds that exist without the reference data.

func synthMinutiae(n int, seed uint16, units int) []Minutia {
	ms := make([]Minutia, n)
	for i := range ms {
		k := uint16(i) + seed
		ms[i] = Minutia{
			Type:    uint8(k % 3),
			X:       (k*37 + 11) % 400,
			Y:       (k*53 + 7) % 500,
			Angle:   uint8((int(k) * 29) % units),
			Quality: uint8((k * 7) % 101),
		}
	}
	return ms
}

func synthISO2005() *Record {
	return &Record{
		Format:              ISO2005,
		EquipmentCompliance: 0x8,
		EquipmentID:         0x123,
		Width:               400,
		Height:              500,
		ResolutionX:         197,
		ResolutionY:         197,
		Views: []View{
			{
				Position: 2, Number: 0, Impression: 0, Quality: 77,
				Minutiae: synthMinutiae(30, 1, 256),
				Extended: []ExtendedData{
					RidgeCountData{Method: 1, Counts: []RidgeCount{{0, 1, 3}, {0, 2, 5}}}.Extended(),
					mustCoreDelta(ISO2005, CoreDeltaData{
						Cores:  []Core{{X: 200, Y: 250, HasAngle: true, Angle: 64}, {X: 210, Y: 300}},
						Deltas: []Delta{{X: 120, Y: 400, HasAngles: true, Angles: [3]uint8{10, 100, 200}}},
					}),
					{Type: 0x0101, Data: []byte("vendor")},
					{Type: 0x0202}, // an empty vendor area
				},
			},
			{Position: 2, Number: 1, Impression: 8, Quality: 50, Minutiae: synthMinutiae(12, 5, 256)},
			{Position: 7, Number: 0, Impression: 1},
		},
	}
}

func synthANSI378() *Record {
	return &Record{
		Format:              ANSI378,
		ProductOwner:        0x0033,
		ProductType:         0x0102,
		EquipmentCompliance: 0x8,
		EquipmentID:         0xABC,
		Width:               400,
		Height:              500,
		ResolutionX:         197,
		ResolutionY:         197,
		Views: []View{
			{
				Position: 1, Number: 0, Impression: 1, Quality: 90,
				Minutiae: synthMinutiae(40, 2, 180),
				Extended: []ExtendedData{
					mustCoreDelta(ANSI378, CoreDeltaData{
						Cores:  []Core{{X: 100, Y: 120, HasAngle: true, Angle: 45}},
						Deltas: []Delta{{X: 50, Y: 60}, {X: 300, Y: 70}},
					}),
					RidgeCountData{Method: 2, Counts: []RidgeCount{{3, 4, 1}}}.Extended(),
				},
			},
			{Position: 6, Number: 0, Impression: 0, Quality: 20, Minutiae: synthMinutiae(3, 9, 180)},
		},
	}
}

func synthISO2011() *Record {
	return &Record{
		Format:            ISO2011,
		HasCertifications: true,
		Views: []View{
			{
				CaptureTime:      CaptureTime{2024, 3, 14, 15, 9, 26, 535},
				DeviceTechnology: 2,
				DeviceVendor:     0x0033,
				DeviceType:       0x0007,
				Qualities:        []QualityBlock{{Score: 80, VendorID: 0x0101, AlgorithmID: 0x0002}, {Score: 255, VendorID: 0x0033, AlgorithmID: 9}},
				Certifications:   []CertificationBlock{{AuthorityID: 0x0001, SchemeID: 2}},
				Position:         3, Number: 0, Impression: 4,
				ResolutionX: 197, ResolutionY: 197, Width: 400, Height: 500,
				MinutiaSize: 6, RidgeEndingType: 1,
				Minutiae: synthMinutiae(25, 3, 256),
				Extended: []ExtendedData{
					mustCoreDelta(ISO2011, CoreDeltaData{Cores: []Core{{X: 1, Y: 2, HasAngle: true, Angle: 3}}}),
					{Type: 0x0003, Data: []byte{8, 8, 2, 0xAA}}, // zonal quality, kept raw
				},
			},
			{
				CaptureTime: unknownCaptureTime,
				Position:    3, Number: 1, Impression: 29,
				ResolutionX: 394, ResolutionY: 394, Width: 800, Height: 1000,
				MinutiaSize: 5,
				Minutiae:    func() []Minutia { ms := synthMinutiae(10, 4, 256); zeroQuality(ms); return ms }(),
			},
		},
	}
}

func zeroQuality(ms []Minutia) {
	for i := range ms {
		ms[i].Quality = 0
	}
}

func mustCoreDelta(f Format, d CoreDeltaData) ExtendedData {
	e, err := d.Extended(f)
	if err != nil {
		panic(err)
	}
	return e
}

func synthRecords() map[string]*Record {
	long := synthANSI378()
	long.LongLength = true
	noCert := synthISO2011()
	noCert.HasCertifications = false
	noCert.Views[0].Certifications = nil
	return map[string]*Record{
		"ISO 2005":                 synthISO2005(),
		"ANSI 378":                 synthANSI378(),
		"ANSI 378 long length":     long,
		"ISO 2011":                 synthISO2011(),
		"ISO 2011 no certificates": noCert,
		"ISO 2005 no views":        {Format: ISO2005, Width: 1, Height: 1, ResolutionX: 197, ResolutionY: 197},
		"ISO 2011 no views":        {Format: ISO2011},
	}
}

func mustEncode(t testing.TB, r *Record) []byte {
	t.Helper()
	b, err := Encode(r)
	require.NoError(t, err)
	return b
}

func TestRoundTripSynthetic(t *testing.T) {
	for name, rec := range synthRecords() {
		t.Run(name, func(t *testing.T) {
			data := mustEncode(t, rec)
			f, err := Detect(data)
			require.NoError(t, err)
			assert.Equal(t, rec.Format, f)
			got, err := Decode(data)
			require.NoError(t, err)
			assert.Equal(t, rec, got)
			assert.Equal(t, data, mustEncode(t, got), "re-encoding must give the same bytes")
		})
	}
}

func TestANSI378LengthForms(t *testing.T) {
	short := mustEncode(t, synthANSI378())
	assert.NotZero(t, short[8:10], "short form: non-zero 2-byte length")
	assert.Equal(t, len(short), int(short[8])<<8|int(short[9]))

	rec := synthANSI378()
	rec.LongLength = true
	long := mustEncode(t, rec)
	assert.Equal(t, len(short)+4, len(long))
	assert.Equal(t, []byte{0, 0}, long[8:10], "long form: zero 2-byte length")
	assert.Equal(t, short[10:], long[14:], "the rest is the same")

	// A record too big for the 2-byte length gets the long form by itself.
	big := synthANSI378()
	big.Views[0].Extended = []ExtendedData{{Type: 0x0301, Data: make([]byte, 0xFFFF-4)}}
	big.Views[1].Extended = []ExtendedData{{Type: 0x0301, Data: make([]byte, 1000)}}
	data := mustEncode(t, big)
	assert.Greater(t, len(data), 0xFFFF)
	got, err := Decode(data)
	require.NoError(t, err)
	assert.True(t, got.LongLength)
	got.LongLength = false
	assert.Equal(t, big, got)
}

func TestEncodeRefusesWhatTheFormatCannotHold(t *testing.T) {
	cases := []struct {
		name   string
		mutate func(r *Record)
		format Format
		want   string
	}{
		{"ISO 2005 product id", func(r *Record) { r.ProductOwner = 1 }, ISO2005, "ProductOwner"},
		{"ISO 2005 long length", func(r *Record) { r.LongLength = true }, ISO2005, "LongLength"},
		{"ISO 2005 certifications", func(r *Record) { r.HasCertifications = true }, ISO2005, "HasCertifications"},
		{"ISO 2005 view capture time", func(r *Record) { r.Views[0].CaptureTime.Year = 2000 }, ISO2005, "view 0 CaptureTime"},
		{"ISO 2005 view size", func(r *Record) { r.Views[1].Width = 3 }, ISO2005, "view 1 Width"},
		{"ISO 2005 view minutia size", func(r *Record) { r.Views[0].MinutiaSize = 6 }, ISO2005, "MinutiaSize"},
		{"ISO 2005 quality blocks", func(r *Record) { r.Views[0].Qualities = []QualityBlock{{}} }, ISO2005, "Qualities"},
		{"ISO 2005 view number", func(r *Record) { r.Views[0].Number = 16 }, ISO2005, "view number 16"},
		{"ISO 2005 impression", func(r *Record) { r.Views[0].Impression = 16 }, ISO2005, "impression type 16"},
		{"ISO 2005 equipment id", func(r *Record) { r.EquipmentID = 0x1000 }, ISO2005, "12 bits"},
		{"ISO 2005 compliance", func(r *Record) { r.EquipmentCompliance = 0x10 }, ISO2005, "4 bits"},
		{"ISO 2005 minutia x", func(r *Record) { r.Views[0].Minutiae[3].X = 0x4000 }, ISO2005, "minutia 3: position"},
		{"ISO 2005 minutia type", func(r *Record) { r.Views[0].Minutiae[0].Type = 4 }, ISO2005, "type 4"},
		{"ISO 2005 reserved bits", func(r *Record) { r.Views[0].Minutiae[0].Reserved = 4 }, ISO2005, "reserved bits"},
		{"ISO 2005 too many minutiae", func(r *Record) { r.Views[0].Minutiae = make([]Minutia, 256) }, ISO2005, "256 minutiae"},
		{"ISO 2005 huge area", func(r *Record) { r.Views[0].Extended[0].Data = make([]byte, 0xFFFC) }, ISO2005, "extended data area 0"},
		{"ANSI 378 certifications", func(r *Record) { r.HasCertifications = true }, ANSI378, "HasCertifications"},
		{"ISO 2011 header size", func(r *Record) { r.Width = 3 }, ISO2011, "Width/Height in the record header"},
		{"ISO 2011 product", func(r *Record) { r.ProductType = 3 }, ISO2011, "ProductOwner"},
		{"ISO 2011 finger quality", func(r *Record) { r.Views[0].Quality = 3 }, ISO2011, "view 0 Quality"},
		{"ISO 2011 minutia size", func(r *Record) { r.Views[0].MinutiaSize = 7 }, ISO2011, "minutia size 7"},
		{"ISO 2011 lost quality", func(r *Record) { r.Views[1].Minutiae[2].Quality = 9 }, ISO2011, "5-byte minutia has no quality"},
		{"ISO 2011 certs without flag", func(r *Record) { r.HasCertifications = false }, ISO2011, "HasCertifications flag"},
		{"ISO 2011 ending type", func(r *Record) { r.Views[0].RidgeEndingType = 16 }, ISO2011, "ridge ending type 16"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var r *Record
			switch c.format {
			case ISO2005:
				r = synthISO2005()
			case ANSI378:
				r = synthANSI378()
			default:
				r = synthISO2011()
			}
			c.mutate(r)
			_, err := Encode(r)
			require.Error(t, err)
			assert.Contains(t, err.Error(), c.want)
		})
	}
	_, err := Encode(&Record{})
	assert.ErrorContains(t, err, "unknown format")
	_, err = Encode(nil)
	assert.Error(t, err)
}

func TestExtendedTyped(t *testing.T) {
	rc := RidgeCountData{Method: 1, Counts: []RidgeCount{{1, 2, 3}, {4, 5, 6}}}
	got, err := rc.Extended().RidgeCounts()
	require.NoError(t, err)
	assert.Equal(t, rc, got)

	_, err = ExtendedData{Type: TypeRidgeCount, Data: []byte{0, 1}}.RidgeCounts()
	assert.ErrorContains(t, err, "3 bytes an entry")
	_, err = ExtendedData{Type: TypeCoreDelta, Data: []byte{0}}.RidgeCounts()
	assert.ErrorContains(t, err, "not ridge count")

	cd := CoreDeltaData{
		Cores:  []Core{{X: 10, Y: 20, HasAngle: true, Angle: 30}, {X: 11, Y: 21, HasAngle: true, Angle: 31}},
		Deltas: []Delta{{X: 40, Y: 50}},
	}
	for _, f := range []Format{ISO2005, ISO2011, ANSI378} {
		e, err := cd.Extended(f)
		require.NoError(t, err, f)
		got, err := e.CoreDelta(f)
		require.NoError(t, err, f)
		assert.Equal(t, cd, got, f)
	}
	// The layouts differ: ANSI flags angles in the count byte, ISO in each x.
	ansi, _ := cd.Extended(ANSI378)
	iso, _ := cd.Extended(ISO2005)
	assert.Equal(t, byte(0x42), ansi.Data[0])
	assert.Equal(t, byte(0x02), iso.Data[0])
	assert.Equal(t, byte(0x40), iso.Data[1])

	mixed := CoreDeltaData{Cores: []Core{{HasAngle: true}, {}}}
	_, err = mixed.Extended(ANSI378)
	assert.ErrorContains(t, err, "disagrees")
	_, err = mixed.Extended(ISO2005)
	assert.NoError(t, err, "ISO flags each core on its own")
	_, err = CoreDeltaData{Cores: make([]Core, 16)}.Extended(ANSI378)
	assert.ErrorContains(t, err, "16 cores")
	_, err = CoreDeltaData{Deltas: []Delta{{X: 0x4000}}}.Extended(ISO2011)
	assert.ErrorContains(t, err, "14 bits")

	bad := []struct {
		f    Format
		data []byte
		want string
	}{
		{ISO2005, nil, "core count at byte 0: missing"},
		{ISO2005, []byte{1, 0x40, 1, 0, 2}, "core 0 angles at byte 5"},
		{ISO2005, []byte{0}, "delta count at byte 1: missing"},
		{ISO2005, []byte{3, 0, 0, 0, 0}, "3 cores at byte 1 need at least 12 bytes"},
		{ISO2005, []byte{1, 0x80, 0, 0, 0, 0}, "undefined angle flag 2"},
		{ISO2005, []byte{1, 0, 0, 0x40, 0, 0}, "core 0 y at byte 3: reserved bits"},
		{ISO2005, []byte{0, 0, 9}, "1 bytes after the last delta"},
		{ANSI378, []byte{0x80}, "undefined angle flag"},
		{ANSI378, []byte{0x40, 0}, "angles flagged for no cores"},
		{ANSI378, []byte{0x01, 0x40, 0, 0, 0, 0}, "core 0 x at byte 1: reserved bits"},
	}
	for _, b := range bad {
		_, err := ExtendedData{Type: TypeCoreDelta, Data: b.data}.CoreDelta(b.f)
		assert.ErrorContains(t, err, b.want, "% x", b.data)
	}
	_, err = ExtendedData{Type: TypeRidgeCount}.CoreDelta(ISO2005)
	assert.ErrorContains(t, err, "not core and delta")
}

func TestDetect(t *testing.T) {
	iso := mustEncode(t, synthISO2005())
	ansi := mustEncode(t, synthANSI378())
	rec := synthANSI378()
	rec.LongLength = true
	ansiLong := mustEncode(t, rec)
	iso11 := mustEncode(t, synthISO2011())

	padded := func(b []byte, n int) []byte { return append(bytes.Clone(b), make([]byte, n)...) }
	cases := []struct {
		name string
		data []byte
		want Format
	}{
		{"ISO 2005", iso, ISO2005},
		{"ANSI 378", ansi, ANSI378},
		{"ANSI 378 long", ansiLong, ANSI378},
		{"ISO 2011", iso11, ISO2011},
		// Lengths that do not match: the header rule decides.
		{"ISO 2005 truncated", iso[:30], ISO2005},
		{"ISO 2005 padded", padded(iso, 3), ISO2005},
		{"ANSI 378 truncated", ansi[:30], ANSI378},
		{"ANSI 378 long truncated", ansiLong[:30], ANSI378},
		{"ANSI 378 padded", padded(ansi, 7), ANSI378},
		{"ISO header only", iso[:12], ISO2005},
	}
	for _, c := range cases {
		f, err := Detect(c.data)
		require.NoError(t, err, c.name)
		assert.Equal(t, c.want, f, c.name)
	}

	bad := []struct {
		name  string
		data  []byte
		field string
	}{
		{"empty", nil, "format identifier and version"},
		{"short", []byte("FMR\x00 2"), "format identifier and version"},
		{"magic", []byte("FIR\x00 20\x00\x00\x00\x00\x18"), "format identifier"},
		{"version", []byte("FMR\x00035\x00\x00\x00\x00\x18"), "version"},
		{"20 without length", []byte("FMR\x00 20\x00\x00\x00"), "record length"},
	}
	for _, c := range bad {
		_, err := Detect(c.data)
		var de *DecodeError
		require.ErrorAs(t, err, &de, c.name)
		assert.Equal(t, c.field, de.Field, c.name)
	}
}

// TestDecodeEveryPrefix cuts every synthetic record at every length and
// appends stray bytes: each must fail with a DecodeError, never panic.
func TestDecodeEveryPrefix(t *testing.T) {
	for name, rec := range synthRecords() {
		data := mustEncode(t, rec)
		for n := 0; n < len(data); n++ {
			_, err := Decode(data[:n])
			var de *DecodeError
			require.ErrorAs(t, err, &de, "%s cut at %d", name, n)
		}
		for _, extra := range [][]byte{{0}, {1, 2, 3}, make([]byte, 40)} {
			_, err := Decode(append(bytes.Clone(data), extra...))
			var de *DecodeError
			require.ErrorAs(t, err, &de, "%s with %d bytes appended", name, len(extra))
		}
	}
}

func TestDecodeErrorMessage(t *testing.T) {
	data := mustEncode(t, synthISO2005())
	_, err := Decode(data[:20])
	var de *DecodeError
	require.ErrorAs(t, err, &de)
	assert.Equal(t, ISO2005, de.Format)
	assert.Equal(t, "record length", de.Field)
	assert.Equal(t, 8, de.Offset)
	assert.Contains(t, err.Error(), "fmr: ISO/IEC 19794-2:2005: record length at byte 8: says")
}
