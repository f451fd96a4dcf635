// Package server is Whorl's gRPC service: it validates every request before
// any work, runs extraction, enrolment and search against the matcher's
// gallery and the store, and answers with gRPC status codes that say what
// was wrong (InvalidArgument with BadRequest field violations, NotFound,
// ResourceExhausted when the limit of concurrent searches is reached).
//
// The server owns no storage of its own: the gallery (package matcher) is
// the in-memory copy that searches scan, the Store the system of record; an
// enrolment is acknowledged only once the store has it.
package server
