package misp

import (
	"fmt"
	"strconv"
)

// Scan reads a boolean column: a boolean, or an integer 0/1 as SQLite stores it.
func (b *Bool) Scan(src any) error {
	switch v := src.(type) {
	case nil:
		*b = false
	case bool:
		*b = Bool(v)
	case int64:
		*b = v != 0
	case []byte:
		return b.scanText(string(v))
	case string:
		return b.scanText(v)
	default:
		return fmt.Errorf("misp: cannot scan %T into Bool", src)
	}
	return nil
}

func (b *Bool) scanText(s string) error {
	switch s {
	case "1", "t", "true", "TRUE":
		*b = true
	case "0", "f", "false", "FALSE", "":
		*b = false
	default:
		return fmt.Errorf("misp: cannot scan %q into Bool", s)
	}
	return nil
}

// Scan reads an integer column; NULL reads as 0.
func (n *StrInt) Scan(src any) error {
	switch v := src.(type) {
	case nil:
		*n = 0
	case int64:
		*n = StrInt(v)
	case float64:
		*n = StrInt(v)
	case []byte:
		return n.scanText(string(v))
	case string:
		return n.scanText(v)
	default:
		return fmt.Errorf("misp: cannot scan %T into StrInt", src)
	}
	return nil
}

func (n *StrInt) scanText(s string) error {
	v, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return fmt.Errorf("misp: cannot scan %q into StrInt", s)
	}
	*n = StrInt(v)
	return nil
}
