package acl

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"

	"github.com/google/uuid"
)

// NewSecret returns a new random secret id (a version 4 UUID, 122 random
// bits, as Nomad's and Consul's are).
func NewSecret() string { return uuid.NewString() }

// HashSecret is what the replicated state keeps of a secret: its SHA-256.
// Secrets are random and long, so a plain hash cannot be reversed by
// guessing; the state is looked up by this hash, so no secret is ever
// compared byte by byte.
func HashSecret(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}

// maxSecretLen bounds a presented secret before it is hashed.
const maxSecretLen = 256

// TokenFromHeader returns the secret a request presents, from
// "Authorization: Bearer <secret>" or "X-Genie-Token: <secret>"; empty
// when it sends none. A malformed header is an error, never a guess.
func TokenFromHeader(authorization, genieToken string) (string, error) {
	var secret string
	switch {
	case authorization != "":
		scheme, rest, ok := strings.Cut(strings.TrimSpace(authorization), " ")
		if !ok || !strings.EqualFold(scheme, "Bearer") {
			return "", fmt.Errorf("Authorization header: expected \"Bearer <token>\"")
		}
		secret = strings.TrimSpace(rest)
		if genieToken != "" && strings.TrimSpace(genieToken) != secret {
			return "", fmt.Errorf("Authorization and X-Genie-Token headers name different tokens")
		}
	case genieToken != "":
		secret = strings.TrimSpace(genieToken)
	default:
		return "", nil
	}
	if secret == "" {
		return "", fmt.Errorf("empty token")
	}
	if len(secret) > maxSecretLen {
		return "", fmt.Errorf("token is longer than %d characters", maxSecretLen)
	}
	for _, c := range secret {
		if c <= ' ' || c == 0x7f {
			return "", fmt.Errorf("token contains a space or control character")
		}
	}
	return secret, nil
}
