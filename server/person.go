package server

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"math/big"
	"os"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/golang-jwt/jwt/v5"
	"google.golang.org/grpc/metadata"
)

// A certificate names a station, but CJIS audits people: a request may
// also carry the person at the station as a signed token, an OIDC ID or
// access token from the operator's identity provider, in the gRPC
// metadata
//
//	authorization: Bearer <JWT>
//
// The token is verified offline against the issuer's published key set
// (a JWKS file the operator saves), and its issuer, audience, expiry and
// not-before are checked. The person's name then goes into the audit
// record beside the station.

// Person token limits and defaults.
const (
	// DefaultPersonClaim is the claim that names the person; "sub" is
	// used when the token lacks it.
	DefaultPersonClaim = "preferred_username"
	// DefaultPersonLeeway is the clock skew tolerated on exp and nbf:
	// stations' clocks drift, but not by minutes.
	DefaultPersonLeeway = 60 * time.Second
	// maxTokenBytes bounds a token before it is decoded; real ID tokens
	// are 1-2 KiB.
	maxTokenBytes = 16 << 10
	// maxJWKSBytes and maxJWKSKeys bound the key set file.
	maxJWKSBytes = 1 << 20
	maxJWKSKeys  = 100
	// maxPersonBytes bounds the person's name as the audit trail keeps it.
	maxPersonBytes = 256
)

// personAlgs are the signature algorithms accepted: ECDSA and RSA with
// SHA-2, all FIPS-approved. "none" and the HMAC algorithms are never
// accepted (an HMAC "signature" made with a public key is the classic
// algorithm-confusion forgery).
var personAlgs = []string{"ES256", "ES384", "RS256", "PS256"}

// PersonConfig says which person tokens a server accepts.
type PersonConfig struct {
	// Issuer is the exact "iss" the tokens must carry (the OIDC issuer
	// URL).
	Issuer string
	// Audience must be one of the tokens' "aud" values (the client id
	// the provider issued for Whorl).
	Audience string
	// KeysFile is the issuer's JWKS (its published key set), saved by the
	// operator. It is read again whenever it changes, so keys rotate
	// without a restart.
	KeysFile string
	// Claim names the person; default DefaultPersonClaim, then "sub".
	Claim string
	// Leeway is the clock skew tolerated on exp and nbf; default
	// DefaultPersonLeeway.
	Leeway time.Duration
}

// PersonVerifier verifies person tokens against a PersonConfig.
type PersonVerifier struct {
	cfg  PersonConfig
	keys *keySet
}

// NewPersonVerifier checks the configuration and loads the key set once,
// so that a bad file is found at start rather than at the first request.
func NewPersonVerifier(cfg PersonConfig) (*PersonVerifier, error) {
	switch {
	case cfg.Issuer == "":
		return nil, errors.New("person tokens: an issuer is required")
	case cfg.Audience == "":
		return nil, errors.New("person tokens: an audience is required")
	case cfg.KeysFile == "":
		return nil, errors.New("person tokens: a key set file (JWKS) is required")
	case cfg.Leeway < 0 || cfg.Leeway > 10*time.Minute:
		return nil, fmt.Errorf("person tokens: leeway %v, want 0 to 10m", cfg.Leeway)
	}
	if cfg.Claim == "" {
		cfg.Claim = DefaultPersonClaim
	}
	if cfg.Leeway == 0 {
		cfg.Leeway = DefaultPersonLeeway
	}
	v := &PersonVerifier{cfg: cfg, keys: &keySet{path: cfg.KeysFile}}
	if _, err := v.keys.current(); err != nil {
		return nil, err
	}
	return v, nil
}

// errKeysUnavailable marks a token that could not be checked because the
// server's own key set does not load: a fault of the server, not of the
// caller, so it is not counted against the caller.
var errKeysUnavailable = errors.New("the server's person token keys do not load")

// Verify checks a token as of now and returns the person it names.
func (v *PersonVerifier) Verify(token string, now time.Time) (string, error) {
	if len(token) > maxTokenBytes {
		return "", fmt.Errorf("%d bytes, at most %d", len(token), maxTokenBytes)
	}
	keys, err := v.keys.current()
	if err != nil {
		return "", fmt.Errorf("%w: %w", errKeysUnavailable, err)
	}
	p := jwt.NewParser(
		jwt.WithValidMethods(personAlgs),
		jwt.WithIssuer(v.cfg.Issuer),
		jwt.WithAudience(v.cfg.Audience),
		jwt.WithExpirationRequired(),
		jwt.WithLeeway(v.cfg.Leeway),
		jwt.WithTimeFunc(func() time.Time { return now }),
		jwt.WithStrictDecoding(),
	)
	claims := jwt.MapClaims{}
	if _, err := p.ParseWithClaims(token, claims, keys.keyFunc); err != nil {
		return "", err
	}
	return personOf(claims, v.cfg.Claim)
}

// personOf takes the person's name from the claim, else from "sub".
func personOf(claims jwt.MapClaims, claim string) (string, error) {
	name, _ := claims[claim].(string)
	from := claim
	if name == "" {
		name, _ = claims["sub"].(string)
		from = "sub"
	}
	switch {
	case name == "":
		return "", fmt.Errorf("the token names no person (no %q or \"sub\" claim)", claim)
	case len(name) > maxPersonBytes:
		return "", fmt.Errorf("claim %q: %d bytes, at most %d", from, len(name), maxPersonBytes)
	case !utf8.ValidString(name):
		return "", fmt.Errorf("claim %q: not valid UTF-8", from)
	}
	for _, r := range name {
		if unicode.IsControl(r) || unicode.Is(unicode.Bidi_Control, r) || r == '\u2028' || r == '\u2029' {
			return "", fmt.Errorf("claim %q: control character U+%04X", from, r)
		}
	}
	return name, nil
}

// bearerToken reads the person token from the call's metadata: absent is
// ("", false, nil); more than one authorization entry, another scheme or
// an empty token is an error, never silently ignored.
func bearerToken(ctx context.Context) (string, bool, error) {
	md, _ := metadata.FromIncomingContext(ctx)
	vals := md.Get("authorization")
	switch len(vals) {
	case 0:
		return "", false, nil
	case 1:
	default:
		return "", true, fmt.Errorf("%d authorization entries, at most one", len(vals))
	}
	scheme, token, ok := strings.Cut(vals[0], " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", true, errors.New(`the authorization entry is not "Bearer <token>"`)
	}
	token = strings.TrimSpace(token)
	if token == "" {
		return "", true, errors.New("the bearer token is empty")
	}
	return token, true, nil
}

// keySet is the issuer's key set file, read again whenever it changes
// (like the certificate revocation list). A file that stops loading fails
// closed: no token verifies until it is fixed.
type keySet struct {
	path    string
	mu      sync.Mutex
	modTime time.Time
	size    int64
	keys    *JWKS
	err     error
}

func (k *keySet) current() (*JWKS, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	st, err := os.Stat(k.path)
	if err != nil {
		k.keys, k.err = nil, nil
		return nil, fmt.Errorf("person token keys: %w", err)
	}
	if (k.keys != nil || k.err != nil) && st.ModTime().Equal(k.modTime) && st.Size() == k.size {
		return k.keys, k.err
	}
	k.modTime, k.size = st.ModTime(), st.Size()
	k.keys, k.err = nil, nil
	if st.Size() > maxJWKSBytes {
		k.err = fmt.Errorf("person token keys: %s is %d bytes, at most %d", k.path, st.Size(), maxJWKSBytes)
		return nil, k.err
	}
	data, err := os.ReadFile(k.path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("person token keys: %w", err)
		}
		k.err = fmt.Errorf("person token keys: %w", err)
		return nil, k.err
	}
	keys, err := ParseJWKS(data)
	if err != nil {
		k.err = fmt.Errorf("person token keys in %s: %w", k.path, err)
		return nil, k.err
	}
	k.keys = keys
	return keys, nil
}

// JWKS is a parsed JSON Web Key Set (RFC 7517): the signature keys of
// the kinds Whorl verifies.
type JWKS struct {
	keys []jwk
}

// jwk is one usable key.
type jwk struct {
	kid string
	alg string // "" if the key set did not restrict it
	key any    // *ecdsa.PublicKey or *rsa.PublicKey
}

// Len is the number of usable keys.
func (s *JWKS) Len() int { return len(s.keys) }

// rawJWK is a key as the JSON holds it.
type rawJWK struct {
	Kty string `json:"kty"`
	Kid string `json:"kid"`
	Use string `json:"use"`
	Alg string `json:"alg"`
	Crv string `json:"crv"`
	X   string `json:"x"`
	Y   string `json:"y"`
	N   string `json:"n"`
	E   string `json:"e"`
	D   string `json:"d"`
	P   string `json:"p"`
	K   string `json:"k"`
}

// ParseJWKS reads a JSON Web Key Set with the standard library: EC keys
// on P-256 and P-384 and RSA keys of 2048 to 8192 bits. Keys of other
// types, curves or algorithms, and keys marked for encryption, are
// skipped (a provider's set often holds some); a set with no usable key
// is an error, and so is a usable key that is malformed or carries
// private material.
func ParseJWKS(data []byte) (*JWKS, error) {
	if len(data) > maxJWKSBytes {
		return nil, fmt.Errorf("%d bytes, at most %d", len(data), maxJWKSBytes)
	}
	var doc struct {
		Keys []json.RawMessage `json:"keys"`
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("not a JSON key set: %w", err)
	}
	if len(doc.Keys) > maxJWKSKeys {
		return nil, fmt.Errorf("%d keys, at most %d", len(doc.Keys), maxJWKSKeys)
	}
	set := &JWKS{}
	for i, raw := range doc.Keys {
		var r rawJWK
		if err := json.Unmarshal(raw, &r); err != nil {
			return nil, fmt.Errorf("key %d: %w", i, err)
		}
		k, ok, err := parseJWK(r)
		if err != nil {
			if r.Kid != "" {
				return nil, fmt.Errorf("key %d (kid %q): %w", i, r.Kid, err)
			}
			return nil, fmt.Errorf("key %d: %w", i, err)
		}
		if ok {
			set.keys = append(set.keys, k)
		}
	}
	if len(set.keys) == 0 {
		return nil, fmt.Errorf("no usable signature key (EC P-256/P-384 or RSA, for %s)", strings.Join(personAlgs, ", "))
	}
	return set, nil
}

// parseJWK returns the key, or ok false for a key of a kind not used here.
func parseJWK(r rawJWK) (k jwk, ok bool, err error) {
	if r.Use != "" && r.Use != "sig" {
		return jwk{}, false, nil
	}
	if r.D != "" || r.P != "" || r.K != "" {
		return jwk{}, false, errors.New("holds private key material: save only the issuer's public keys")
	}
	k = jwk{kid: r.Kid, alg: r.Alg}
	switch r.Kty {
	case "EC":
		var curve elliptic.Curve
		var alg string
		switch r.Crv {
		case "P-256":
			curve, alg = elliptic.P256(), "ES256"
		case "P-384":
			curve, alg = elliptic.P384(), "ES384"
		default:
			return jwk{}, false, nil
		}
		if r.Alg != "" && r.Alg != alg {
			return jwk{}, false, nil
		}
		size := (curve.Params().BitSize + 7) / 8
		x, err := b64Field("x", r.X, size)
		if err != nil {
			return jwk{}, false, err
		}
		y, err := b64Field("y", r.Y, size)
		if err != nil {
			return jwk{}, false, err
		}
		pub, err := ecdsa.ParseUncompressedPublicKey(curve, append(append([]byte{4}, x...), y...))
		if err != nil {
			return jwk{}, false, fmt.Errorf("not a point of %s: %w", r.Crv, err)
		}
		k.key = pub
	case "RSA":
		if r.Alg != "" && r.Alg != "RS256" && r.Alg != "PS256" {
			return jwk{}, false, nil
		}
		n, err := b64Field("n", r.N, 0)
		if err != nil {
			return jwk{}, false, err
		}
		e, err := b64Field("e", r.E, 0)
		if err != nil {
			return jwk{}, false, err
		}
		if n[0] == 0 {
			return jwk{}, false, errors.New("n has a leading zero byte")
		}
		mod := new(big.Int).SetBytes(n)
		if bits := mod.BitLen(); bits < 2048 || bits > 8192 {
			return jwk{}, false, fmt.Errorf("an RSA modulus of %d bits, want 2048 to 8192", bits)
		}
		if len(e) > 4 || e[0] == 0 {
			return jwk{}, false, errors.New("e is not a minimal exponent of at most 32 bits")
		}
		exp := 0
		for _, b := range e {
			exp = exp<<8 | int(b)
		}
		if exp < 3 || exp%2 == 0 || exp > 1<<31-1 {
			return jwk{}, false, fmt.Errorf("exponent %d, want an odd number of at least 3", exp)
		}
		k.key = &rsa.PublicKey{N: mod, E: exp}
	default:
		return jwk{}, false, nil
	}
	return k, true, nil
}

// b64Field decodes an unpadded base64url field; size, when not 0, is the
// exact length it must have.
func b64Field(name, s string, size int) ([]byte, error) {
	if s == "" {
		return nil, fmt.Errorf("%q is missing", name)
	}
	b, err := base64.RawURLEncoding.Strict().DecodeString(s)
	if err != nil {
		return nil, fmt.Errorf("%q is not unpadded base64url: %w", name, err)
	}
	if size != 0 && len(b) != size {
		return nil, fmt.Errorf("%q is %d bytes, want %d", name, len(b), size)
	}
	return b, nil
}

// keyFunc picks the keys that may have signed the token: those with its
// key id (all keys when it names none) whose type and algorithm fit its
// algorithm. The parser tries each.
func (s *JWKS) keyFunc(t *jwt.Token) (any, error) {
	alg := t.Method.Alg()
	var kid string
	if v, present := t.Header["kid"]; present {
		str, ok := v.(string)
		if !ok {
			return nil, errors.New("the token's kid is not a string")
		}
		kid = str
	}
	var set jwt.VerificationKeySet
	for _, k := range s.keys {
		if kid != "" && k.kid != kid {
			continue
		}
		if k.alg != "" && k.alg != alg {
			continue
		}
		switch pub := k.key.(type) {
		case *ecdsa.PublicKey:
			if (alg == "ES256" && pub.Curve == elliptic.P256()) || (alg == "ES384" && pub.Curve == elliptic.P384()) {
				set.Keys = append(set.Keys, pub)
			}
		case *rsa.PublicKey:
			if alg == "RS256" || alg == "PS256" {
				set.Keys = append(set.Keys, pub)
			}
		}
	}
	if len(set.Keys) == 0 {
		return nil, fmt.Errorf("no %s key with kid %q in the issuer's key set", alg, kid)
	}
	return set, nil
}
