package minutiae

import (
	"errors"
	"strings"
	"testing"
)

func TestDecodePGM(t *testing.T) {
	for _, tc := range []struct {
		name string
		data string
		w, h int
		pix  []uint8
	}{
		{"binary 8-bit", "P5\n3 2\n255\n\x00\x80\xff\x01\x02\x03", 3, 2, []uint8{0, 128, 255, 1, 2, 3}},
		{"binary, one line header", "P5 2 1 255 \x0a\x0d", 2, 1, []uint8{10, 13}}, // raster bytes that look like whitespace
		{"binary, comments everywhere", "P5#c\n# full line\n2 # w\n#h\n1\n#m\n255\n\x07\x08", 2, 1, []uint8{7, 8}},
		{"binary, comment right after maxval", "P5 2 1 255# the newline ends the header\n\x07\x08", 2, 1, []uint8{7, 8}},
		{"binary maxval 1", "P5 3 1 1\n\x00\x01\x00", 3, 1, []uint8{0, 255, 0}},
		{"binary maxval 15 scaled", "P5 3 1 15\n\x00\x07\x0f", 3, 1, []uint8{0, 119, 255}}, // 7 × 255/15 = 119
		{"binary 16-bit big-endian", "P5 3 1 65535\n\x00\x00\x80\x00\xff\xff", 3, 1, []uint8{0, 128, 255}},
		{"binary maxval 1023", "P5 2 1 1023\n\x02\x00\x03\xff", 2, 1, []uint8{128, 255}}, // 512 × 255/1023 = 127.6
		{"extra bytes after the raster", "P5 1 1 255\n\x05trailing", 1, 1, []uint8{5}},
		{"plain", "P2\n3 2\n255\n0 128 255\n1 2 3\n", 3, 2, []uint8{0, 128, 255, 1, 2, 3}},
		{"plain, odd spacing, no final newline", "P2 3 1 255\t0\r\n\r\n12    255", 3, 1, []uint8{0, 12, 255}},
		{"plain 16-bit", "P2 2 1 65535 65535 32768", 2, 1, []uint8{255, 128}},
		{"plain with a comment in the raster", "P2 2 1 9\n0 # a writer's note\n9\n", 2, 1, []uint8{0, 255}},
		{"plain, CRLF lines", "P2\r\n2 1\r\n255\r\n4 5\r\n", 2, 1, []uint8{4, 5}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g, err := decodePGM([]byte(tc.data))
			if err != nil {
				t.Fatal(err)
			}
			if b := g.Bounds(); b.Dx() != tc.w || b.Dy() != tc.h {
				t.Fatalf("size %d × %d, want %d × %d", b.Dx(), b.Dy(), tc.w, tc.h)
			}
			if string(g.Pix) != string(tc.pix) {
				t.Errorf("pixels %v, want %v", g.Pix, tc.pix)
			}
			// Through DecodeImage too: same pixels, format pgm, 500 ppi.
			im, err := DecodeImage([]byte(tc.data), 0)
			if err != nil {
				t.Fatal(err)
			}
			if im.Format != formatPGM || string(im.Gray.Pix) != string(tc.pix) {
				t.Errorf("DecodeImage: %s, %v", im.Format, im.Gray.Pix)
			}
		})
	}
}

func TestDecodePGMErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		data string
		want string // the error must contain this
	}{
		{"empty", "", "magic"},
		{"not netpbm", "GIF89a", "magic"},
		{"P8", "P8 1 1 255\n\x00", "magic: \"P8\""},
		{"magic not followed by whitespace", "P51 1 255\n\x00", "magic: not followed by whitespace"},
		{"PBM", "P1\n1 1\n0", "PBM"},
		{"PPM", "P6\n1 1\n255\n\x00\x00\x00", "PPM"},
		{"PAM", "P7\nWIDTH 1\n", "PAM"},
		{"no width", "P5\n", "width: file ends"},
		{"letters for width", "P5 abc 1 255\n", "width: expected a decimal number at byte 3"},
		{"negative width", "P5 -1 1 255\n", "width: expected a decimal number"},
		{"zero width", "P5 0 1 255\n", "width: 0"},
		{"zero height", "P5 1 0 255\n", "height: 0"},
		{"no height", "P5 1", "height: file ends"},
		{"no maxval", "P5 1 1 ", "maxval: file ends"},
		{"maxval zero", "P5 1 1 0\n\x00", "maxval: 0 outside 1..65535"},
		{"maxval too large", "P5 1 1 65536\n\x00\x00", "maxval: 65536 outside"},
		{"number too long", "P5 99999999999999999999999 1 255\n", "width: number at byte 3 too large"},
		{"maxval not followed by whitespace", "P5 1 1 255x\x00", "maxval: followed by 'x'"},
		{"header only", "P5 1 1 255", "raster: file ends after the header"},
		{"binary truncated", "P5 3 2 255\n\x00\x00\x00", "raster: truncated: 3 × 2 pixels of 1 byte(s) need 6 bytes, the file has 3"},
		{"binary 16-bit truncated", "P5 2 1 65535\n\x00\x00\x00", "need 4 bytes"},
		{"binary sample above maxval", "P5 2 2 100\n\x00\x00\x00\x65", "sample 101 at (1, 1) exceeds maxval 100"},
		{"binary 16-bit sample above maxval", "P5 1 1 1000\n\x03\xe9", "sample 1001 at (0, 0) exceeds maxval 1000"},
		{"plain truncated", "P2 3 1 255\n1 2", "raster: truncated"},
		{"plain missing a sample", "P2 3 1 255\n1 2   \n", "raster: file ends before it (sample 2 at (2, 0))"},
		{"plain letters", "P2 2 1 255\n1 x2", "raster: expected a decimal number at byte 13, found 'x' (sample 1 at (1, 0))"},
		{"plain sample above maxval", "P2 2 1 9\n1 10", "sample 10 at (1, 0) exceeds maxval 9"},
		{"too large", "P5 60000 60000 255\n", "a side exceeds MaxImageSide"},
		{"too many pixels", "P5 8000 8000 255\n", "exceeds MaxImagePixels"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g, err := decodePGM([]byte(tc.data))
			if err == nil {
				t.Fatalf("no error; decoded %v", g.Bounds())
			}
			if !strings.HasPrefix(err.Error(), "pgm: ") || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q does not contain %q", err, tc.want)
			}
			if tooLarge := strings.Contains(tc.want, "MaxImage"); errors.Is(err, ErrImageTooLarge) != tooLarge {
				t.Errorf("error %q: errors.Is(err, ErrImageTooLarge) is %v", err, !tooLarge)
			}
		})
	}
}
