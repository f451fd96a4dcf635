package ansinist_test

import (
	"fmt"
	"log"

	"github.com/whorlafis/whorl/minutiae/ansinist"
)

func Example() {
	// A booking station's transaction: the Type-1 header, whose CNT field
	// (1.003) lists a Type-2 record (IDC 0) and a Type-14 slap (IDC 1).
	// It is built here so that the example runs anywhere; a service reads
	// the bytes it was sent.
	station := &ansinist.Transaction{Records: []ansinist.Record{
		{Type: 1, IDC: -1, Fields: []ansinist.Field{
			{Tag: 2, Value: []byte("0400")},
			{Tag: 3, Value: []byte("1\x1f2\x1e2\x1f00\x1e14\x1f01")},
		}},
		{Type: 2, IDC: 0, Fields: []ansinist.Field{{Tag: 2, Value: []byte("00")}}},
		{Type: 14, IDC: 1, Fields: []ansinist.Field{
			{Tag: 2, Value: []byte("01")},    // IDC
			{Tag: 3, Value: []byte("0")},     // IMP: live-scan plain
			{Tag: 6, Value: []byte("4")},     // HLL
			{Tag: 7, Value: []byte("2")},     // VLL
			{Tag: 8, Value: []byte("1")},     // SLC: pixels per inch
			{Tag: 9, Value: []byte("1000")},  // HPS
			{Tag: 10, Value: []byte("1000")}, // VPS
			{Tag: 11, Value: []byte("NONE")}, // CGA
			{Tag: 12, Value: []byte("8")},    // BPX
			{Tag: 13, Value: []byte("2\x1e3")},
			{Tag: 999, Value: []byte{0, 64, 128, 255, 255, 128, 64, 0}},
		}},
	}}
	data, err := station.Encode()
	if err != nil {
		log.Fatal(err)
	}

	t, err := ansinist.Read(data)
	if err != nil {
		log.Fatal(err) // a *FormatError saying which record, field and byte
	}
	for _, r := range t.Records {
		fmt.Printf("Type-%d IDC %d, %d bytes\n", r.Type, r.IDC, r.Length)
	}
	for _, f := range t.Fingerprints() {
		fmt.Printf("%v (%v): %d×%d at %g ppi, %v\n", f.Positions, f.Impression, f.Width, f.Height, f.PPI, f.Compression)
	}
	// Output:
	// Type-1 IDC -1, 41 bytes
	// Type-2 IDC 0, 18 bytes
	// Type-14 IDC 1, 129 bytes
	// [right index right middle] (live plain): 4×2 at 1000 ppi, NONE
}
