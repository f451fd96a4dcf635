package minutiae

import (
	"image"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// imgTestFuzzSamples are real files, one or two of each format and kind,
// that seed the fuzz tests when ../shared/data is present. They are among
// the smaller files, so that the fuzzer's mutations stay quick.
var imgTestFuzzSamples = []string{
	"fvc2002/DB3_B/101_1.tif",
	"samples/wsq_and_formats/probe.bmp",
	"samples/wsq_and_formats/probe.jpeg",
	"samples/wsq_and_formats/nbis_encoded/fvc2002_DB3_B_105_2.wsq",
	"samples/wsq_and_formats/nbis_encoded/odd_257x301_bitrate2.25.wsq",
	"samples/partial_sensor_captures/vfs7552_capture.png",
	"samples/partial_sensor_captures/examples_prints/whorl.png",
	"samples/partial_sensor_captures/examples_prints/whorl.jpg",
	"samples/plain_pgm/b001_08p.pgm",
}

// imgTestAddSamples adds the real samples whose names contain filter to the
// seed corpus, if the reference data is present (and nothing otherwise: the
// synthetic seeds still run).
func imgTestAddSamples(f *testing.F, filter string, add func([]byte)) {
	for _, rel := range imgTestFuzzSamples {
		if !strings.Contains(rel, filter) {
			continue
		}
		b, err := os.ReadFile(filepath.Join("..", "..", "shared", "data", filepath.FromSlash(rel)))
		if err != nil {
			f.Logf("fuzz seed %s absent: %v", rel, err)
			continue
		}
		add(b)
	}
}

// FuzzDecodeImage feeds DecodeImage arbitrary bytes and caller resolutions.
// It must never panic, and what it returns must hold Image's invariants.
//
//	go test ./minutiae -run='^$' -fuzz=FuzzDecodeImage -fuzztime=3m
func FuzzDecodeImage(f *testing.F) {
	g := imgTestGradient(19, 11)
	for _, format := range []string{formatPNG, formatJPEG, formatBMP, formatTIFF, formatPGM} {
		f.Add(imgTestEncode(f, format, g), uint16(0))
		f.Add(imgTestEncode(f, format, g), uint16(1000))
	}
	png := imgTestEncode(f, formatPNG, g)
	f.Add(imgTestWithPHYs(png, 39370, 39370, 1), uint16(0))
	f.Add(imgTestWithJFIF(imgTestEncode(f, formatJPEG, g), 1, 1000, 1000), uint16(0))
	f.Add(imgTestWithBMPResolution(imgTestEncode(f, formatBMP, g), 39370, 39370), uint16(0))
	f.Add(imgTestWithTIFFResolution(f, imgTestEncode(f, formatTIFF, g), 250, 1, 2), uint16(0))
	f.Add(imgTestEncode(f, formatPNG, image.NewNRGBA(image.Rect(0, 0, 5, 3))), uint16(569))
	f.Add([]byte("P2 2 2 65535 0 1 2 65535"), uint16(0))
	f.Add([]byte{0xFF, 0xA0, 0xFF, 0xA8, 0, 2}, uint16(0))
	for _, file := range imgTestHugeHeaders(60000, 60000) {
		f.Add(file, uint16(0))
	}
	for _, file := range imgTestHugeHeaders(30, 20) {
		f.Add(file, uint16(0))
	}
	imgTestAddSamples(f, "", func(b []byte) { f.Add(b, uint16(0)) })

	f.Fuzz(func(t *testing.T, data []byte, ppi uint16) {
		// 0 is "not stated"; values outside MinPPI..MaxPPI must be refused.
		im, err := DecodeImage(data, float64(ppi))
		if err != nil {
			if im != nil {
				t.Fatalf("an image and an error: %v", err)
			}
			if !strings.HasPrefix(err.Error(), "minutiae: ") {
				t.Fatalf("error %q does not say where it comes from", err)
			}
			return
		}
		imgTestCheck(t, im)
		// The file's credible resolution wins, then the caller's, then 500.
		fileCredible := im.FilePPI >= MinPPI && im.FilePPI <= MaxPPI && im.SourcePPI == im.FilePPI
		if !fileCredible && ppi != 0 && im.SourcePPI != float64(ppi) {
			t.Fatalf("SourcePPI %g, file %g, the caller said %d", im.SourcePPI, im.FilePPI, ppi)
		}
		if !fileCredible && ppi == 0 && im.SourcePPI != StandardPPI {
			t.Fatalf("SourcePPI %g with no credible file resolution and no caller's", im.SourcePPI)
		}
	})
}

// FuzzDecodePGM feeds the PGM parser arbitrary bytes. It must never panic;
// what it accepts must match its header, and survive a round trip through
// a P5 file.
//
//	go test ./minutiae -run='^$' -fuzz=FuzzDecodePGM -fuzztime=3m
func FuzzDecodePGM(f *testing.F) {
	for _, s := range []string{
		"P5\n3 2\n255\n\x00\x80\xff\x01\x02\x03",
		"P5#c\n# full line\n2 # w\n#h\n1\n#m\n255\n\x07\x08",
		"P5 2 1 255# comment\n\x07\x08",
		"P5 3 1 1\n\x00\x01\x00",
		"P5 3 1 15\n\x00\x07\x0f",
		"P5 3 1 65535\n\x00\x00\x80\x00\xff\xff",
		"P5 2 1 1023\n\x02\x00\x03\xff",
		"P2\n3 2\n255\n0 128 255\n1 2 3\n",
		"P2 2 1 65535 65535 32768",
		"P2 2 1 9\n0 # note\n9\n",
		"P2\r\n2 1\r\n255\r\n4 5\r\n",
		"P5 60000 60000 255\n",
		"P2 3 1 255\n1 2",
		"P6\n1 1\n255\n\x00\x00\x00",
	} {
		f.Add([]byte(s))
	}
	f.Add(imgTestPGM(imgTestGradient(17, 9)))
	imgTestAddSamples(f, ".pgm", func(b []byte) { f.Add(b) })

	f.Fuzz(func(t *testing.T, data []byte) {
		g, err := decodePGM(data)
		if err != nil {
			if g != nil || !strings.HasPrefix(err.Error(), "pgm: ") {
				t.Fatalf("image %v with error %q", g != nil, err)
			}
			return
		}
		h, err := parsePGMHeader(data)
		if err != nil {
			t.Fatalf("decoded, but the header fails: %v", err)
		}
		b := g.Bounds()
		if b != image.Rect(0, 0, h.width, h.height) || len(g.Pix) != h.width*h.height {
			t.Fatalf("bounds %v with %d pixels for a %d × %d header", b, len(g.Pix), h.width, h.height)
		}
		again, err := decodePGM(imgTestPGM(g))
		if err != nil {
			t.Fatalf("round trip: %v", err)
		}
		imgTestEqual(t, again, g)
	})
}
