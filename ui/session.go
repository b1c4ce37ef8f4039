package ui

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/genie-cluster/genie/acl"
	"github.com/genie-cluster/genie/api"
)

const csrfField = acl.CSRFField

func csrfToken(secret string) string { return acl.CSRFToken(secret) }

// errSignIn sends a visitor without a session to the sign-in page.
var errSignIn = errors.New("sign in with a token to see this page")

// newVisit makes the visitor's API client: with ACLs on it presents the
// session's token, and the visit knows the token's user and role.
func (u *UI) newVisit(r *http.Request) (*visit, error) {
	v := &visit{r: r}
	if !u.aclEnabled {
		v.client = u.client(r, "")
		return v, nil
	}
	v.secret = acl.SessionSecret(r)
	if v.secret == "" {
		return v, errSignIn
	}
	v.client = u.client(r, v.secret)
	tok, err := v.client.ACL().Self(r.Context())
	if err != nil {
		return v, err
	}
	v.user, v.role = tok.User, tok.Role
	if v.role == "" {
		v.role = "readonly"
	}
	return v, nil
}

// client calls the node's API in process as the visitor.
func (u *UI) client(r *http.Request, secret string) *api.Client {
	c, _ := api.NewClient(&api.Config{
		Address:    "http://" + r.Host,
		Token:      secret,
		UserAgent:  "genie-ui",
		HTTPClient: &http.Client{Transport: inProcess{u.api}},
	})
	return c
}

// signInRedirect sends a page request without a usable session to sign in,
// coming back to the page after.
func (u *UI) signInRedirect(w http.ResponseWriter, r *http.Request, why error) {
	if r.URL.Query().Get("fragment") != "" || !acl.SafeMethod(r.Method) {
		// A live request or a form: the page itself will go to sign in.
		http.Error(w, "sign in again", http.StatusUnauthorized)
		return
	}
	q := url.Values{"next": {r.URL.RequestURI()}}
	if !errors.Is(why, errSignIn) {
		q.Set("error", "Your session is no longer valid: sign in again.")
	}
	http.Redirect(w, r, "/ui/sign-in?"+q.Encode(), http.StatusSeeOther)
}

func (u *UI) signInPage(w http.ResponseWriter, r *http.Request) {
	v := &visit{r: r}
	u.render(w, v, http.StatusOK, "sign-in", "Sign in", map[string]any{
		"Next": safeNext(r.URL.Query().Get("next")), "Error": r.URL.Query().Get("error"), "ACLEnabled": u.aclEnabled,
	})
}

// signIn checks the token against the API and keeps it in the session
// cookie.
func (u *UI) signIn(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		http.Error(w, "unreadable form", http.StatusBadRequest)
		return
	}
	next := safeNext(r.PostForm.Get("next"))
	secret := strings.TrimSpace(r.PostForm.Get("token"))
	v := &visit{r: r}
	fail := func(msg string) {
		u.render(w, v, http.StatusUnauthorized, "sign-in", "Sign in", map[string]any{"Next": next, "Error": msg, "ACLEnabled": u.aclEnabled})
	}
	if !u.aclEnabled {
		http.Redirect(w, r, next, http.StatusSeeOther)
		return
	}
	if secret == "" {
		fail("Enter a token's secret.")
		return
	}
	if _, err := u.client(r, secret).ACL().Self(context.WithoutCancel(r.Context())); err != nil {
		fail("That token is not valid here: " + errorMessage(err))
		return
	}
	http.SetCookie(w, &http.Cookie{
		Name: acl.SessionCookie, Value: secret, Path: "/",
		HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: r.TLS != nil,
	})
	http.Redirect(w, r, next, http.StatusSeeOther)
}

// signOut clears the session; it needs the session's CSRF token, so no
// other page can sign a visitor out.
func (u *UI) signOut(w http.ResponseWriter, r *http.Request) {
	if secret := acl.SessionSecret(r); secret != "" && !acl.ValidCSRF(secret, r.PostFormValue(csrfField)) {
		http.Error(w, "missing or wrong CSRF token", http.StatusForbidden)
		return
	}
	http.SetCookie(w, &http.Cookie{
		Name: acl.SessionCookie, Value: "", Path: "/", MaxAge: -1,
		HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: r.TLS != nil,
	})
	http.Redirect(w, r, "/ui/sign-in", http.StatusSeeOther)
}

// safeNext keeps a post-sign-in destination on this site's UI.
func safeNext(next string) string {
	if !strings.HasPrefix(next, "/ui/") || strings.HasPrefix(next, "//") || strings.Contains(next, "\\") {
		return "/ui/jobs"
	}
	return next
}

// checkCSRF verifies a form's CSRF token when the visitor has a session.
func (v *visit) checkCSRF() error {
	if v.secret == "" {
		return nil
	}
	if err := v.r.ParseForm(); err != nil {
		return &api.StatusError{Code: http.StatusBadRequest, Message: "unreadable form"}
	}
	if !acl.ValidCSRF(v.secret, v.r.PostForm.Get(csrfField)) {
		return &api.StatusError{Code: http.StatusForbidden, Message: "the form's CSRF token is missing or wrong: reload the page"}
	}
	return nil
}
