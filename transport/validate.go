package transport

import (
	"net/url"
	"strconv"
	"strings"
	"unicode"

	"github.com/genie-cluster/genie/fsm"
)

// Field limits, as Genie's DTOs have them.
const (
	maxShort       = 255
	maxDescription = 1000
	maxURI         = 1024
	maxCommandArgs = 10000
)

// validator collects the first problem found, naming its field: the API
// answers 412 with it.
type validator struct {
	err *RequestError
}

func (v *validator) fail(field, format string, args ...interface{}) {
	if v.err == nil {
		v.err = invalid(field, format, args...)
	}
}

func (v *validator) error() error {
	if v.err == nil {
		return nil
	}
	return v.err
}

// required checks a mandatory string: present, not blank, not too long.
func (v *validator) required(field, s string, max int) {
	if strings.TrimSpace(s) == "" {
		v.fail(field, "is required and must not be blank")
		return
	}
	v.optional(field, s, max)
}

func (v *validator) optional(field, s string, max int) {
	if len(s) > max {
		v.fail(field, "is %d characters long, at most %d are allowed", len(s), max)
	}
	if strings.ContainsRune(s, 0) {
		v.fail(field, "must not contain a NUL character")
	}
}

// status checks a resource's required status field; allowed names the
// values for the message.
func (v *validator) status(status string, valid bool, allowed string) {
	switch {
	case status == "":
		v.fail("status", "is required: %s", allowed)
	case !valid:
		v.fail("status", "%q is not %s", status, allowed)
	}
}

// id checks a client-chosen id: it becomes a URL path segment and a
// directory name, so it must be a plain token.
func (v *validator) id(field, id string) {
	if id == "" {
		return
	}
	v.optional(field, id, maxShort)
	if id == "." || id == ".." || strings.ContainsAny(id, "/\\?#%") {
		v.fail(field, "%q may not be . or .. or contain / \\ ? # %%", id)
		return
	}
	for _, r := range id {
		if unicode.IsControl(r) || unicode.IsSpace(r) {
			v.fail(field, "%q must not contain spaces or control characters", id)
			return
		}
	}
}

// tags checks tags and drops the implicit genie.id:/genie.name: ones, which
// are derived, never stored. Duplicates collapse.
func (v *validator) tags(field string, tags []string) []string {
	out := make([]string, 0, len(tags))
	seen := make(map[string]bool, len(tags))
	for i, t := range tags {
		t = strings.TrimSpace(t)
		if t == "" {
			v.fail(indexed(field, i), "tag must not be blank")
			continue
		}
		v.optional(indexed(field, i), t, maxShort)
		if strings.HasPrefix(t, fsm.TagPrefixID) || strings.HasPrefix(t, fsm.TagPrefixName) || seen[t] {
			continue
		}
		seen[t] = true
		out = append(out, t)
	}
	return out
}

// uris checks a list of file URIs.
func (v *validator) uris(field string, uris []string) []string {
	out := make([]string, 0, len(uris))
	seen := make(map[string]bool, len(uris))
	for i, u := range uris {
		u = strings.TrimSpace(u)
		v.uri(indexed(field, i), u)
		if !seen[u] {
			seen[u] = true
			out = append(out, u)
		}
	}
	return out
}

// uri checks one file URI: an absolute path or a file, http(s) or s3 URL.
func (v *validator) uri(field, u string) {
	if u == "" {
		v.fail(field, "URI must not be blank")
		return
	}
	v.optional(field, u, maxURI)
	if strings.HasPrefix(u, "/") {
		return
	}
	parsed, err := url.Parse(u)
	if err != nil {
		v.fail(field, "%q is not a URI: %v", u, err)
		return
	}
	switch parsed.Scheme {
	case "file":
		if parsed.Path == "" {
			v.fail(field, "%q names no file", u)
		}
	case "http", "https", "s3":
		if parsed.Host == "" {
			v.fail(field, "%q has no host or bucket", u)
		}
		if strings.HasSuffix(parsed.Path, "/") || parsed.Path == "" {
			v.fail(field, "%q names no file", u)
		}
	default:
		v.fail(field, "%q: scheme %q is not supported (file, http, https, s3 or an absolute path)", u, parsed.Scheme)
	}
}

func indexed(field string, i int) string {
	return field + "[" + strconv.Itoa(i) + "]"
}
