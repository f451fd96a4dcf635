// Package store is Whorl's system of record: the enrolled subjects and their
// templates, kept in one Pebble (v2) database and encrypted at rest. The
// server loads the in-memory gallery from it on start (Scan) and writes every
// enrolment through it; nothing else touches the database files.
//
// # Directory
//
// A store directory holds:
//
//	db/         the Pebble database
//	datakey     data key id 1, 64 hex digits, owner-only (0600)
//	datakey.N   data key id N, made by a rotation (RotateKey)
//
// The key files may live in another directory instead (Options.KeyDir, an
// operator's key store), or the operator may pass one key in
// Options.DataKey, which then cannot rotate. Open refuses a key file whose
// permissions reach beyond its owner, and never invents a key for a
// database that already exists (that would make every record unreadable). A checkpoint (Checkpoint) holds db/ only: a backup
// carries no key, so backup media alone do not expose the data.
//
// # Keys
//
// Every Pebble key starts with one byte naming the record kind; ids are
// big-endian and fixed-width, so a prefix scan returns records in id order.
//
//	'm' + name                 metadata: "schema" (uint32, the schema version),
//	                           "id_ceiling" (uint64, see below), "index_key"
//	                           (the sealed HMAC key of the indexes),
//	                           "audit_anchor" (the sealed tail anchor)
//	's' + uint64 internal id   subject record: StoredSubject
//	'n' + 16-byte HMAC(subject id)  subject-name index: StoredSubjectRef
//	'r' + 16-byte HMAC(request id)  request-id index: StoredRequest
//	'a' + uint64 sequence number    audit record: StoredAuditRecord
//	'l' + uint64 internal id   latent record: StoredLatent
//	'k' + 16-byte HMAC(latent id)   latent-id index: StoredLatentRef
//	'h' + uint64 internal id   reverse-search hit: StoredHit
//	'g' + 16-byte HMAC(latent id, subject id, finger position)
//	                           hit-pair index: StoredLatentRef, so one
//	                           latent and one finger make one hit
//
// The latent workflow (latents.go) keeps the unsolved latent file: a latent
// is registered unsolved, and leaves the file (its record stays, for the
// record) when retired or when an examiner identifies one of its hits.
// Latent and hit records take internal ids from the subjects' counter, so
// listings come in registration order; a hit's external id is its internal
// id in decimal (it says nothing about a person). A server-assigned latent
// id is "L" and 20 hex digits of HMAC(index key, request id), so that a
// retried registration names the same latent, or random when the client
// gave no request id. Their values are sealed like every other, so a key
// rotation re-seals them with the rest (isSealedKey).
//
// The audit trail (audit.go) is one record per RPC, numbered from 1 with no
// gaps and written one at a time, each synced. Records form a hash chain:
// each holds the SHA-256 of the previous record's stored encoding (the
// deterministic protobuf encoding, before sealing; 32 zero bytes in record
// 1). VerifyAudit walks the chain: without the data key, an edited value
// fails authentication and a value moved or swapped to another key fails
// too (the key is the additional data); a deleted record leaves a gap in the
// numbers; with the data key, an edited, moved or reordered record breaks
// the hash links. Deleting records from the end leaves no trace in the chain
// itself, so each append also writes the tail anchor, the last record's
// sequence number and hash, sealed, in the same batch (anchor.go);
// VerifyAudit reports a trail shorter than its anchor as truncated. Audit
// records hold ids, never image or template bytes.
//
// The external ids clients choose (subject ids, request ids) may be personal
// data, so they never appear in a key: the indexes key on HMAC-SHA256 under an
// index key, truncated to 16 bytes (a collision needs about 2^64 ids, and a
// lookup checks the id in the record it finds anyway). The index key is 32
// random bytes made when the store is created and kept sealed in the metadata
// record "index_key". It is not derived from the data key so that rotating the
// data key (issue 6) re-seals one record instead of re-keying every index.
// Opening "index_key" is also how Open tells a wrong data key from a good one.
//
// Internal ids are allocated from a counter and never reused, even across
// restarts and deletions: the store reserves them in blocks, recording the
// end of the reserved block ("id_ceiling") before handing any out, and a
// reopened store starts past it.
//
// # Sealing
//
// Every value except the plaintext metadata (schema version, id ceiling —
// neither says anything about a subject) is a protobuf message
// (proto/whorl/v1/store.proto) sealed with AES-256-GCM:
//
//	value = key id (4 bytes, big-endian) | nonce (12 bytes) | ciphertext and tag
//
// The additional authenticated data is the record's Pebble key, so a value
// copied under another key fails to open, as does any flipped bit. The key id
// names the data key the value was sealed under, so keys can rotate:
// RotateKey makes a new current key and re-seals every older value in the
// background, in small synced batches that hold writers off for one batch
// at a time, keeping each plaintext byte for byte (the audit chain's hashes
// are over plaintexts, so they still hold); KeyStatus counts the values per
// key id, and RetireKey deletes a key nothing is sealed under. The AES key is not the data key itself but
// HKDF-SHA256(data key, "whorl store seal key v1"), which leaves room to derive
// other keys from the same secret. Nonces are random (cipher.NewGCMWithRandomNonce),
// which bounds one key to 2^32 seals: rotation must come well before that.
// Only the standard library's cryptography is used, so a GOFIPS140 build runs
// in FIPS 140-3 mode.
//
// # Durability
//
// Every write the store reports as done was synced to the write-ahead log
// first (pebble.Sync). An enrolment writes the subject record, its name index
// and its request-id index in one batch, so a crash leaves all or none.
package store
