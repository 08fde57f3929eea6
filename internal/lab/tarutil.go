package lab

import (
	"archive/tar"
	"fmt"
	"io"
)

// untarFirst returns the content of the first file in a tar stream (the
// Docker API wraps a copied file in a tar).
func untarFirst(r io.Reader) ([]byte, error) {
	tr := tar.NewReader(r)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return nil, fmt.Errorf("empty archive")
		}
		if err != nil {
			return nil, err
		}
		if h.Typeflag == tar.TypeReg {
			return io.ReadAll(io.LimitReader(tr, 1<<20))
		}
	}
}
