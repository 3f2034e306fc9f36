package misp

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"crypto/md5"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"hash/crc32"
	"time"
)

// SamplePassword is the password of the zip MISP keeps a malware sample in.
const SamplePassword = "infected"

// SampleZip packs the contents of a malware sample as MISP stores and sends it: a zip
// encrypted with SamplePassword that holds the contents as "<md5>" and the file name as
// "<md5>.filename.txt". It returns the zip and the md5 of the contents, in hex.
//
// The zip uses PKWARE's traditional encryption, the one every unzip tool (and Python's
// zipfile, which PyMISP uses) can read. It is weak, and only meant to keep a sample from
// being run or scanned by accident, as in MISP.
func SampleZip(name string, content []byte, modified time.Time) ([]byte, string, error) {
	sum := md5.Sum(content)
	md5Hex := hex.EncodeToString(sum[:])
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, f := range []struct {
		name string
		data []byte
	}{{md5Hex, content}, {md5Hex + ".filename.txt", []byte(name)}} {
		if err := addEncrypted(zw, f.name, f.data, modified); err != nil {
			return nil, "", fmt.Errorf("misp: sample zip: %w", err)
		}
	}
	if err := zw.Close(); err != nil {
		return nil, "", fmt.Errorf("misp: sample zip: %w", err)
	}
	return buf.Bytes(), md5Hex, nil
}

// addEncrypted adds a deflated file to zw, encrypted with SamplePassword.
func addEncrypted(zw *zip.Writer, name string, data []byte, modified time.Time) error {
	var packed bytes.Buffer
	fw, err := flate.NewWriter(&packed, flate.DefaultCompression)
	if err != nil {
		return err
	}
	if _, err := fw.Write(data); err != nil {
		return err
	}
	if err := fw.Close(); err != nil {
		return err
	}

	// The 12 bytes before the data are random, but for the last one, which readers check
	// against the top byte of the CRC to tell a wrong password early.
	crc := crc32.ChecksumIEEE(data)
	plain := make([]byte, 12, 12+packed.Len())
	if _, err := rand.Read(plain[:11]); err != nil {
		return err
	}
	plain[11] = byte(crc >> 24)
	plain = append(plain, packed.Bytes()...)
	sealed := make([]byte, len(plain))
	newZipCrypto(SamplePassword).encrypt(sealed, plain)

	// Bit 0 of the flags says the file is encrypted; no data descriptor follows, as the
	// sizes and CRC are known.
	fh := &zip.FileHeader{Name: name, Method: zip.Deflate, Flags: 0x1, Modified: modified,
		CRC32: crc, CompressedSize64: uint64(len(sealed)), UncompressedSize64: uint64(len(data))}
	// CreateRaw writes the MS-DOS date and time as they are set, unlike CreateHeader.
	m := modified.UTC()
	fh.ModifiedDate = uint16(max(m.Year()-1980, 0)<<9 | int(m.Month())<<5 | m.Day())
	fh.ModifiedTime = uint16(m.Hour()<<11 | m.Minute()<<5 | m.Second()/2)
	w, err := zw.CreateRaw(fh)
	if err != nil {
		return err
	}
	_, err = w.Write(sealed)
	return err
}

// zipCrypto is the key state of PKWARE's traditional zip encryption (APPNOTE 6.1).
type zipCrypto struct{ k0, k1, k2 uint32 }

func newZipCrypto(password string) *zipCrypto {
	z := &zipCrypto{0x12345678, 0x23456789, 0x34567890}
	for i := 0; i < len(password); i++ {
		z.update(password[i])
	}
	return z
}

// crcStep is one byte of the CRC-32 update, without the CRC's final inversion.
func crcStep(crc uint32, b byte) uint32 {
	return crc32.IEEETable[byte(crc)^b] ^ crc>>8
}

func (z *zipCrypto) update(b byte) {
	z.k0 = crcStep(z.k0, b)
	z.k1 = (z.k1+z.k0&0xff)*134775813 + 1
	z.k2 = crcStep(z.k2, byte(z.k1>>24))
}

// stream is the next byte of the key stream.
func (z *zipCrypto) stream() byte {
	t := uint32(uint16(z.k2) | 2)
	return byte(t * (t ^ 1) >> 8)
}

func (z *zipCrypto) encrypt(dst, src []byte) {
	for i, c := range src {
		dst[i] = c ^ z.stream()
		z.update(c)
	}
}
