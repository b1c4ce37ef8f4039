package acl

import (
	"errors"
	"strings"
	"testing"
)

func TestRoleAccess(t *testing.T) {
	want := map[Role]map[Access]bool{
		RoleAdmin:    {Anyone: true, Read: true, Submit: true, OwnJob: true, Admin: true, Server: false},
		RoleUser:     {Anyone: true, Read: true, Submit: true, OwnJob: true, Admin: false, Server: false},
		RoleReadOnly: {Anyone: true, Read: true, Submit: false, OwnJob: false, Admin: false, Server: false},
	}
	for role, accesses := range want {
		a := ForIdentity(Identity{User: "u", Role: role})
		for access, ok := range accesses {
			if got := a.Allow(access); got != ok {
				t.Errorf("%s on %s: got %v, want %v", role, access, got, ok)
			}
		}
	}
	for _, access := range []Access{Anyone, Read, Submit, OwnJob, Admin, Server} {
		if !ManageAll().Allow(access) {
			t.Errorf("ManageAll denies %s", access)
		}
	}
	if ForIdentity(Identity{User: "u", Role: "bogus"}).Allow(Read) {
		t.Error("an unknown role reads")
	}
}

func TestAllowJobOwner(t *testing.T) {
	cases := []struct {
		role  Role
		user  string
		owner string
		want  bool
	}{
		{RoleUser, "alice", "alice", true},
		{RoleUser, "alice", "bob", false},
		{RoleUser, "", "", false},
		{RoleAdmin, "root", "bob", true},
		{RoleReadOnly, "alice", "alice", false},
	}
	for _, c := range cases {
		if got := ForIdentity(Identity{User: c.user, Role: c.role}).AllowJob(c.owner); got != c.want {
			t.Errorf("%s %q on job of %q: got %v", c.role, c.user, c.owner, got)
		}
	}
}

func TestSubmitAs(t *testing.T) {
	user := ForIdentity(Identity{User: "alice", Role: RoleUser})
	if u, err := user.SubmitAs(""); err != nil || u != "alice" {
		t.Fatalf("no user named: %q %v", u, err)
	}
	if u, err := user.SubmitAs("alice"); err != nil || u != "alice" {
		t.Fatalf("own user: %q %v", u, err)
	}
	var denied *DeniedError
	if _, err := user.SubmitAs("bob"); !errors.As(err, &denied) {
		t.Fatalf("another user: %v", err)
	}
	admin := ForIdentity(Identity{User: "ops", Role: RoleAdmin})
	if u, err := admin.SubmitAs("bob"); err != nil || u != "bob" {
		t.Fatalf("admin for bob: %q %v", u, err)
	}
	if u, err := admin.SubmitAs(""); err != nil || u != "ops" {
		t.Fatalf("admin for itself: %q %v", u, err)
	}
	if u, err := ManageAll().SubmitAs("carol"); err != nil || u != "carol" {
		t.Fatalf("ACLs off: %q %v", u, err)
	}
}

func TestTokenFromHeader(t *testing.T) {
	cases := []struct {
		auth, genie, want string
		bad               bool
	}{
		{"", "", "", false},
		{"Bearer abc", "", "abc", false},
		{"bearer  abc ", "", "abc", false},
		{"", "abc", "abc", false},
		{"Bearer abc", "abc", "abc", false},
		{"Bearer abc", "def", "", true},
		{"Basic abc", "", "", true},
		{"Bearer", "", "", true},
		{"Bearer ", "", "", true},
		{"Bearer a b", "", "", true},
		{"", "a\x01b", "", true},
		{"Bearer " + strings.Repeat("x", 300), "", "", true},
	}
	for _, c := range cases {
		got, err := TokenFromHeader(c.auth, c.genie)
		if (err != nil) != c.bad || got != c.want {
			t.Errorf("TokenFromHeader(%q, %q) = %q, %v", c.auth, c.genie, got, err)
		}
	}
}

func FuzzTokenFromHeader(f *testing.F) {
	f.Add("Bearer 0b9c4f7e-2a5e-4a43-9d3c-7f1e1c2a1b00", "")
	f.Add("", "secret")
	f.Add("Bearer x", "y")
	f.Add("bEaReR\t z", "")
	f.Fuzz(func(t *testing.T, auth, genie string) {
		secret, err := TokenFromHeader(auth, genie)
		if err != nil {
			if secret != "" {
				t.Fatalf("error %v with secret %q", err, secret)
			}
			return
		}
		if secret == "" {
			if auth != "" || genie != "" {
				t.Fatalf("headers %q %q gave no secret and no error", auth, genie)
			}
			return
		}
		if len(secret) > maxSecretLen || strings.ContainsAny(secret, " \t\r\n\x00") {
			t.Fatalf("accepted secret %q", secret)
		}
		if HashSecret(secret) == HashSecret(secret+"x") {
			t.Fatal("hash collision")
		}
	})
}

func TestHashSecretIsNotTheSecret(t *testing.T) {
	s := NewSecret()
	h := HashSecret(s)
	if strings.Contains(h, s) || len(h) != 64 || h != HashSecret(s) {
		t.Fatalf("hash %q of %q", h, s)
	}
}
