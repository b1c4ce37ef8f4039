package transport

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
)

// FuzzACLAndLimitsBodies: whatever body a token creation or a limits
// change carries, the answer is a 2xx or a 4xx with a JSON error body,
// never a 500, and a created token carries its secret.
func FuzzACLAndLimitsBodies(f *testing.F) {
	for _, s := range []string{
		`{"name":"ci","user":"etl","role":"user","ttl":"72h"}`,
		`{"name":"x","user":"u","role":"root"}`,
		`{"name":"","user":"","role":""}`,
		`{"name":"x","user":"u","role":"readonly","ttl":"-1s"}`,
		`{"user":"bob","userActive":3}`,
		`{"userActive":-1}`,
		`{"userActive":1e99}`,
		`[]`, `null`, `{`, `{"role":7}`,
	} {
		f.Add([]byte(s))
	}
	b := newFakeBackend(f)
	h := NewHandler(&HandlerConfig{Backend: b, MaxRequestBytes: 1 << 20})
	f.Fuzz(func(t *testing.T, body []byte) {
		for _, target := range []struct{ method, path string }{
			{http.MethodPost, "/v1/acl/tokens"},
			{http.MethodPut, "/v1/operator/limits"},
		} {
			rec := httptest.NewRecorder()
			req := httptest.NewRequest(target.method, target.path, bytes.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			h.ServeHTTP(rec, req)
			switch {
			case rec.Code >= 500:
				t.Fatalf("%s %s %q: %d %s", target.method, target.path, body, rec.Code, rec.Body)
			case rec.Code >= 400:
				var e errorBody
				if err := json.Unmarshal(rec.Body.Bytes(), &e); err != nil || e.Message == "" {
					t.Fatalf("%s %s: %d without a JSON error body: %s", target.method, target.path, rec.Code, rec.Body)
				}
			case target.path == "/v1/acl/tokens":
				var tok struct {
					SecretID string `json:"secretId"`
				}
				if err := json.Unmarshal(rec.Body.Bytes(), &tok); err != nil || tok.SecretID == "" {
					t.Fatalf("created token without its secret: %s", rec.Body)
				}
			}
		}
	})
}
