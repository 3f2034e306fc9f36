package misp

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"crypto/md5"
	"encoding/hex"
	"io"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func (z *zipCrypto) decrypt(dst, src []byte) {
	for i, c := range src {
		dst[i] = c ^ z.stream()
		z.update(dst[i])
	}
}

// TestSampleZip unpacks a sample zip with the password, as PyMISP does: two files, the
// contents under their md5 and the name beside them, both encrypted.
func TestSampleZip(t *testing.T) {
	content := []byte("MZ\x90\x00 not really a program")
	raw, md5Hex, err := SampleZip("evil.exe", content, time.Unix(1700000000, 0))
	if err != nil {
		t.Fatal(err)
	}
	if sum := md5.Sum(content); md5Hex != hex.EncodeToString(sum[:]) {
		t.Fatalf("md5 %s, want %x", md5Hex, sum)
	}
	zr, err := zip.NewReader(bytes.NewReader(raw), int64(len(raw)))
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, f := range zr.File {
		if f.Flags&0x1 == 0 {
			t.Errorf("%s is not encrypted", f.Name)
		}
		r, err := f.OpenRaw()
		if err != nil {
			t.Fatal(err)
		}
		sealed, _ := io.ReadAll(r)
		plain := make([]byte, len(sealed))
		newZipCrypto(SamplePassword).decrypt(plain, sealed)
		if plain[11] != byte(f.CRC32>>24) {
			t.Errorf("%s: check byte %x, want %x", f.Name, plain[11], byte(f.CRC32>>24))
		}
		data, err := io.ReadAll(flate.NewReader(bytes.NewReader(plain[12:])))
		if err != nil {
			t.Fatalf("%s: %v", f.Name, err)
		}
		got[f.Name] = string(data)
	}
	want := map[string]string{md5Hex: string(content), md5Hex + ".filename.txt": "evil.exe"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("files of the sample zip (-want +got):\n%s", diff)
	}
}
