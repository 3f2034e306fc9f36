// Package misp owns MISP's attribute type system and the small wire conventions every MISP
// endpoint shares.
//
// It holds the table of attribute types and categories that MISP serves as
// attributes/describeTypes.json, the normalisation MISP applies to a value before it is
// stored (trim, refang, type-specific rewriting), the validation rules that decide whether
// a value fits its type, the JSON helpers for MISP's lenient number, boolean and
// timestamp encodings, and the password-protected zip MISP keeps malware samples in. It
// does no I/O: everything here is pure functions over strings, bytes and tables compiled
// into the binary.
package misp
