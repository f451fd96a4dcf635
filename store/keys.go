package store

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
)

// Record kinds: the first byte of every key. See doc.go for the layout.
const (
	kindMeta    byte = 'm'
	kindSubject byte = 's'
	kindName    byte = 'n'
	kindRequest byte = 'r'
	// Latents and hits ('l', 'k', 'h', 'g') are in latents.go, audit
	// records ('a') in audit.go.
)

// Metadata record names, after the 'm'.
var (
	metaSchemaKey    = append([]byte{kindMeta}, "schema"...)
	metaIDCeilingKey = append([]byte{kindMeta}, "id_ceiling"...)
	// metaIndexKeyKey holds the HMAC key of the name and request-id
	// indexes, sealed. Key rotation re-seals this record but must never
	// change the key inside it: every index entry is keyed by an HMAC under
	// it, so a new index key would move (lose) every index entry.
	metaIndexKeyKey = append([]byte{kindMeta}, "index_key"...)
	// metaAuditAnchorKey holds the audit trail's tail anchor, sealed
	// (anchor.go).
	metaAuditAnchorKey = append([]byte{kindMeta}, "audit_anchor"...)
)

// isSealedKey reports whether the value at k is sealed: every value but the
// plaintext metadata. A new plaintext metadata record must be named here,
// or re-sealing and KeyStatus would read its first bytes as a key id.
func isSealedKey(k []byte) bool {
	return len(k) > 0 && !bytes.Equal(k, metaSchemaKey) && !bytes.Equal(k, metaIDCeilingKey)
}

// indexHashSize is how much of the HMAC an index key keeps.
const indexHashSize = 16

func subjectKey(id uint64) []byte {
	k := make([]byte, 9)
	k[0] = kindSubject
	binary.BigEndian.PutUint64(k[1:], id)
	return k
}

// subjectKeyID returns the internal id of a subject key.
func subjectKeyID(k []byte) (uint64, bool) {
	if len(k) != 9 || k[0] != kindSubject {
		return 0, false
	}
	return binary.BigEndian.Uint64(k[1:]), true
}

// indexKey is kind + the first 16 bytes of HMAC-SHA256(key, id), so an
// external id never reaches the disk in the clear.
func indexKey(kind byte, hmacKey []byte, id string) []byte {
	m := hmac.New(sha256.New, hmacKey)
	m.Write([]byte{kind}) // separates the name and request-id domains
	m.Write([]byte(id))
	sum := m.Sum(nil)
	k := make([]byte, 1+indexHashSize)
	k[0] = kind
	copy(k[1:], sum)
	return k
}

// keyString renders a key for error messages: the kind, then the id in
// decimal or the index hash in hex. Keys hold no plaintext ids, so this is
// safe to log.
func keyString(k []byte) string {
	if len(k) == 0 {
		return "<empty key>"
	}
	switch k[0] {
	case kindSubject:
		if id, ok := subjectKeyID(k); ok {
			return fmt.Sprintf("s/%d", id)
		}
	case kindLatent, kindHit:
		if len(k) == 9 {
			return fmt.Sprintf("%c/%d", k[0], binary.BigEndian.Uint64(k[1:]))
		}
	case kindName, kindRequest, kindLatentName, kindHitPair:
		return fmt.Sprintf("%c/%x", k[0], k[1:])
	case kindMeta:
		return fmt.Sprintf("m/%s", k[1:])
	}
	return fmt.Sprintf("%x", k)
}

// prefixBounds returns the key range of one record kind.
func prefixBounds(kind byte) (lower, upper []byte) {
	return []byte{kind}, []byte{kind + 1}
}
