package fmr

import (
	"bytes"
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// FuzzDecode feeds arbitrary bytes to Detect and Decode. Nothing may panic;
// every failure must be a *DecodeError; whatever decodes must re-encode to
// the very same bytes; and the conversions to and from the model must hold
// up on whatever decodes.
//
// Seeds: the synthetic records of every format (always), and the real
// templates under ../shared/data when it is there.
func FuzzDecode(f *testing.F) {
	for _, rec := range synthRecords() {
		f.Add(mustEncode(f, rec))
	}
	f.Add(smallISO2005(f))
	f.Add(smallANSI378(f))
	f.Add(smallISO2011(f))
	dir := filepath.Join("..", "..", "..", "shared", "data")
	if _, err := os.Stat(dir); err == nil {
		iso, ist := realTemplates(f, dir)
		for _, path := range append(iso, ist...) {
			data, err := os.ReadFile(path)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(data)
		}
	}

	f.Fuzz(func(t *testing.T, data []byte) {
		checkDecode(t, data)
		// Most mutations break the record length, which Decode checks
		// first; trying again with that length made true lets the fuzzer
		// reach the views and representations behind it.
		if fixed := withTrueLength(data); fixed != nil {
			checkDecode(t, fixed)
		}
	})
}

// withTrueLength returns a copy of data with the record length field of the
// format Detect sees set to len(data), or nil when there is no such field.
func withTrueLength(data []byte) []byte {
	f, err := Detect(data)
	if err != nil || len(data) < 12 {
		return nil
	}
	fixed := bytes.Clone(data)
	switch {
	case f != ANSI378:
		binary.BigEndian.PutUint32(fixed[8:], uint32(len(data)))
	case len(data) <= 0xFFFF && binary.BigEndian.Uint16(data[8:]) != 0:
		binary.BigEndian.PutUint16(fixed[8:], uint16(len(data)))
	case len(data) >= 14 && binary.BigEndian.Uint16(data[8:]) == 0:
		binary.BigEndian.PutUint32(fixed[10:], uint32(len(data)))
	default:
		return nil
	}
	return fixed
}

func checkDecode(t *testing.T, data []byte) {
	format, detectErr := Detect(data)
	rec, err := Decode(data)
	if err != nil {
		var de *DecodeError
		if !errors.As(err, &de) {
			t.Fatalf("Decode error is not a *DecodeError: %T %v", err, err)
		}
		return
	}
	if detectErr != nil || format != rec.Format {
		t.Fatalf("Detect says %v, %v; Decode read %v", format, detectErr, rec.Format)
	}
	out, err := Encode(rec)
	if err != nil {
		t.Fatalf("a decoded record does not encode: %v", err)
	}
	if !bytes.Equal(out, data) {
		t.Fatalf("re-encoded bytes differ:\n in % x\nout % x", data, out)
	}
	for i := range rec.Views {
		checkTypedExtended(t, rec.Format, rec.Views[i].Extended)
		tmpl, err := rec.Template(i)
		if err != nil {
			continue
		}
		if err := tmpl.Validate(); err != nil {
			t.Fatalf("view %d converts to an invalid template: %v", i, err)
		}
		back, err := FromTemplates(rec.Format, tmpl)
		if err != nil {
			continue // an impression this format has no code for
		}
		b, err := Encode(back)
		if err != nil {
			t.Fatalf("view %d: FromTemplates made a record that does not encode: %v", i, err)
		}
		// b is a 500 ppi record on the format's grid: template and back
		// must reproduce it exactly.
		r2, err := Decode(b)
		if err != nil {
			t.Fatalf("view %d: FromTemplates record does not decode: %v", i, err)
		}
		t2, err := r2.Template(0)
		if err != nil {
			t.Fatalf("view %d: FromTemplates record does not convert back: %v", i, err)
		}
		again, err := FromTemplates(rec.Format, t2)
		if err != nil {
			t.Fatalf("view %d: %v", i, err)
		}
		if b2, err := Encode(again); err != nil || !bytes.Equal(b, b2) {
			t.Fatalf("view %d: a 500 ppi record did not survive template and back (%v):\n% x\n% x", i, err, b, b2)
		}
	}
}

// checkTypedExtended parses the ridge count and core and delta areas where
// it can, and checks that what parses encodes back to the same area.
func checkTypedExtended(t *testing.T, f Format, ext []ExtendedData) {
	for j, e := range ext {
		var got ExtendedData
		switch e.Type {
		case TypeRidgeCount:
			d, err := e.RidgeCounts()
			if err != nil {
				continue
			}
			got = d.Extended()
		case TypeCoreDelta:
			d, err := e.CoreDelta(f)
			if err != nil {
				continue
			}
			if got, err = d.Extended(f); err != nil {
				t.Fatalf("area %d: parsed core and delta data does not encode: %v", j, err)
			}
		default:
			continue
		}
		if got.Type != e.Type || !bytes.Equal(got.Data, e.Data) {
			t.Fatalf("area %d (type %d): typed round trip changed the bytes:\n% x\n% x", j, e.Type, e.Data, got.Data)
		}
	}
}
