// Package library reads MISP's community libraries from their upstream checkouts under
// the configured library directory, and keeps them in the database so that every replica
// serves the same data without the files. It owns the object templates of misp-objects:
// parsing definition.json, loading them in one transaction, finding the template of an
// object, and checking an object's attributes against it as MISP does.
package library
