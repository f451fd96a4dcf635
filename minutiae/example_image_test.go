package minutiae_test

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/png"
	"log"

	"github.com/whorlafis/whorl/minutiae"
)

func ExampleDecodeImage() {
	// A booking station sends the bytes its scanner produced; here, an
	// 800 × 600 PNG that a 1000 ppi scanner might have written.
	var file bytes.Buffer
	if err := png.Encode(&file, image.NewGray(image.Rect(0, 0, 800, 600))); err != nil {
		log.Fatal(err)
	}

	// The station knows its scanner, so it states the resolution. (With 0,
	// the file's own resolution, if credible, or else 500 ppi is used.)
	img, err := minutiae.DecodeImage(file.Bytes(), 1000)
	if err != nil {
		log.Fatal(err)
	}
	b := img.Gray.Bounds()
	fmt.Printf("%s, %d × %d at %g ppi (scanned at %g ppi)\n", img.Format, b.Dx(), b.Dy(), img.PPI, img.SourcePPI)

	// Untrusted bytes are checked from their header before decoding: 19
	// bytes that claim a 60,000 × 60,000 image are refused at once.
	_, err = minutiae.DecodeImage([]byte("P5 60000 60000 255\n"), 0)
	fmt.Println(errors.Is(err, minutiae.ErrImageTooLarge))
	fmt.Println(err)

	// Output:
	// png, 400 × 300 at 500 ppi (scanned at 1000 ppi)
	// true
	// minutiae: decode pgm image: header: 60000 × 60000 pixels: a side exceeds MaxImageSide (12000): image too large
}
