package acl

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"net/http"
)

// The web UI's session: after sign-in the browser holds the token's secret
// in an HttpOnly, SameSite=Strict cookie, which no script can read and no
// other site can send. Pages and the API take it as a second way to
// present a token; a state-changing request made with it must also carry
// the session's CSRF token, derived from the secret (so it needs no
// server-side record, and any node checks it).
const (
	SessionCookie = "genie-session"
	// CSRFHeader carries the CSRF token of a request the UI's scripts send;
	// the UI's forms carry it as the field CSRFField.
	CSRFHeader = "X-Genie-CSRF"
	CSRFField  = "csrf"
)

// CSRFToken is the CSRF token of the session holding secret.
func CSRFToken(secret string) string {
	sum := sha256.Sum256([]byte("genie-csrf\x00" + secret))
	return hex.EncodeToString(sum[:16])
}

// ValidCSRF reports whether token is the CSRF token of secret's session.
func ValidCSRF(secret, token string) bool {
	want := CSRFToken(secret)
	return token != "" && subtle.ConstantTimeCompare([]byte(token), []byte(want)) == 1
}

// SessionSecret is the secret of the request's session cookie, "" when it
// has none.
func SessionSecret(r *http.Request) string {
	c, err := r.Cookie(SessionCookie)
	if err != nil {
		return ""
	}
	return c.Value
}

// SafeMethod reports whether method only reads: such a request needs no
// CSRF token.
func SafeMethod(method string) bool {
	return method == http.MethodGet || method == http.MethodHead || method == http.MethodOptions
}
