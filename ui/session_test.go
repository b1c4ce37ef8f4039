package ui_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/genie-cluster/genie/acl"
	"github.com/genie-cluster/genie/api"
)

// noRedirects is an HTTP client that shows redirects instead of following.
var noRedirects = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

func send(t *testing.T, method, url, cookie string, header http.Header, form url.Values) *http.Response {
	t.Helper()
	var body *strings.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	} else {
		body = strings.NewReader("")
	}
	req, err := http.NewRequest(method, url, body)
	if err != nil {
		t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for k, vs := range header {
		req.Header[k] = vs
	}
	if cookie != "" {
		req.AddCookie(&http.Cookie{Name: acl.SessionCookie, Value: cookie})
	}
	resp, err := noRedirects.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp
}

func TestSessionSignsInAndGuardsChangesWithItsCSRFToken(t *testing.T) {
	n, admin, bootSecret := aclNode(t)
	tok, err := admin.ACL().CreateToken(context.Background(), &api.ACLTokenCreateRequest{Name: "alice", User: "alice", Role: "user"})
	if err != nil {
		t.Fatal(err)
	}
	secret := tok.SecretID
	id := submit(t, client(t, n, secret), shellJob("mine", "", "sleep 300"))
	waitStatus(t, admin, id, api.JobStatusRunning)
	base := n.URL()

	// No session: pages send the visitor to sign in, the API answers 401.
	if resp := send(t, "GET", base+"/ui/jobs?user=alice", "", nil, nil); resp.StatusCode != http.StatusSeeOther ||
		resp.Header.Get("Location") != "/ui/sign-in?next="+url.QueryEscape("/ui/jobs?user=alice") {
		t.Fatalf("page without a session: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	if resp := send(t, "GET", base+"/api/v3/jobs", "", nil, nil); resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("API without a token: %d", resp.StatusCode)
	}

	// Sign-in refuses a wrong token, and keeps a good one in a cookie no
	// script reads and no other site sends.
	if resp := send(t, "POST", base+"/ui/sign-in", "", nil, url.Values{"token": {"not-a-token"}}); resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("sign-in with a wrong token: %d", resp.StatusCode)
	}
	resp := send(t, "POST", base+"/ui/sign-in", "", nil, url.Values{"token": {secret}, "next": {"//elsewhere.example/x"}})
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/ui/jobs" {
		t.Fatalf("sign-in: %d, to %q (a next off this UI goes to the jobs)", resp.StatusCode, resp.Header.Get("Location"))
	}
	var session *http.Cookie
	for _, c := range resp.Cookies() {
		if c.Name == acl.SessionCookie {
			session = c
		}
	}
	if session == nil || session.Value != secret || !session.HttpOnly || session.SameSite != http.SameSiteStrictMode || session.Path != "/" {
		t.Fatalf("session cookie: %+v", session)
	}

	// The API takes the session for reads; a change needs its CSRF token.
	if resp := send(t, "GET", base+"/api/v3/jobs/"+id+"/status", secret, nil, nil); resp.StatusCode != http.StatusOK {
		t.Fatalf("API read with the session: %d", resp.StatusCode)
	}
	if resp := send(t, "GET", base+"/ui/jobs/"+id, secret, nil, nil); resp.StatusCode != http.StatusOK {
		t.Fatalf("job page with the session: %d", resp.StatusCode)
	}
	for _, tc := range []struct {
		name   string
		method string
		path   string
		header http.Header
		form   url.Values
	}{
		{"API kill without a CSRF token", "DELETE", "/api/v3/jobs/" + id, nil, nil},
		{"API kill with a wrong CSRF token", "DELETE", "/api/v3/jobs/" + id, http.Header{acl.CSRFHeader: {"0000"}}, nil},
		{"kill form without a CSRF token", "POST", "/ui/jobs/" + id + "/kill", nil, url.Values{}},
		{"kill form with another session's token", "POST", "/ui/jobs/" + id + "/kill", nil, url.Values{acl.CSRFField: {acl.CSRFToken(bootSecret)}}},
		{"sign-out without a CSRF token", "POST", "/ui/sign-out", nil, url.Values{}},
	} {
		if resp := send(t, tc.method, base+tc.path, secret, tc.header, tc.form); resp.StatusCode != http.StatusForbidden {
			t.Errorf("%s: %d, want 403", tc.name, resp.StatusCode)
		}
	}
	if st, _ := admin.Jobs().Status(context.Background(), id); st != api.JobStatusRunning {
		t.Fatalf("a refused kill ended the job: %s", st)
	}
	resp = send(t, "POST", base+"/ui/jobs/"+id+"/kill", secret, nil, url.Values{acl.CSRFField: {acl.CSRFToken(secret)}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("kill form with the session's CSRF token: %d", resp.StatusCode)
	}
	waitStatus(t, admin, id, api.JobStatusKilled)

	// Sign-out clears the cookie.
	resp = send(t, "POST", base+"/ui/sign-out", secret, nil, url.Values{acl.CSRFField: {acl.CSRFToken(secret)}})
	cleared := false
	for _, c := range resp.Cookies() {
		cleared = cleared || (c.Name == acl.SessionCookie && c.Value == "" && c.MaxAge < 0)
	}
	if resp.StatusCode != http.StatusSeeOther || !cleared {
		t.Fatalf("sign-out: %d, cookie cleared %v", resp.StatusCode, cleared)
	}
}
