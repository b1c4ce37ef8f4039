package ui

import (
	"io"
	"net/http"
	"net/url"
	"path"
	"strings"
	"unicode/utf8"

	"github.com/genie-cluster/genie/api"
)

// textLimit bounds how much of a file the output browser shows as text;
// the raw link has all of it.
const textLimit = 1 << 20

type crumb struct {
	Name, Href string
}

type outputEntry struct {
	Name, Href, RawHref string
	Size                int64
	Modified            api.Time
}

// outputPage browses a job's directory: listings with breadcrumbs, sizes
// and times, and files shown as text (or opened raw through the API, from
// the node that holds them or the archive).
func (u *UI) outputPage(w http.ResponseWriter, v *visit) error {
	id := v.r.PathValue("id")
	rel := v.r.PathValue("path")
	jobs := v.client.Jobs()
	ctx := v.r.Context()
	base := "/ui/jobs/" + url.PathEscape(id) + "/output/"
	rawBase := "/api/v3/jobs/" + url.PathEscape(id) + "/output/"
	crumbs := []crumb{{Name: id, Href: base}}
	parts := strings.Split(strings.Trim(rel, "/"), "/")
	for i, p := range parts {
		if p == "" {
			continue
		}
		href := base + escapePath(strings.Join(parts[:i+1], "/"))
		if i < len(parts)-1 || strings.HasSuffix(rel, "/") {
			href += "/"
		}
		crumbs = append(crumbs, crumb{Name: p, Href: href})
	}

	if rel == "" || strings.HasSuffix(rel, "/") {
		listing, err := jobs.OutputListing(ctx, id, rel)
		if err != nil {
			return err
		}
		var dirs, files []outputEntry
		for _, d := range listing.Directories {
			name := strings.TrimSuffix(d.Name, "/")
			dirs = append(dirs, outputEntry{Name: name + "/", Href: base + escapePath(rel+name) + "/", Modified: d.LastModified})
		}
		for _, f := range listing.Files {
			files = append(files, outputEntry{Name: f.Name, Href: base + escapePath(rel+f.Name), RawHref: rawBase + escapePath(rel+f.Name), Size: f.Size, Modified: f.LastModified})
		}
		parent := ""
		if rel != "" {
			parent = base + escapePath(path.Dir(strings.TrimSuffix(rel, "/")))
			if !strings.HasSuffix(parent, "/") {
				parent += "/"
			}
			parent = strings.Replace(parent, "/output/./", "/output/", 1)
		}
		u.render(w, v, http.StatusOK, "output", "Output of job "+id, map[string]any{
			"ID": id, "Crumbs": crumbs, "Dirs": dirs, "Files": files, "Parent": parent,
		})
		return nil
	}

	// A file, or a directory named without its slash.
	dir := path.Dir(rel)
	if dir == "." {
		dir = ""
	} else {
		dir += "/"
	}
	listing, err := jobs.OutputListing(ctx, id, dir)
	if err != nil {
		return err
	}
	name := path.Base(rel)
	for _, d := range listing.Directories {
		if strings.TrimSuffix(d.Name, "/") == name {
			http.Redirect(w, v.r, base+escapePath(rel)+"/", http.StatusFound)
			return nil
		}
	}
	var size int64 = -1
	for _, f := range listing.Files {
		if f.Name == name {
			size = f.Size
		}
	}
	if size < 0 {
		return &api.StatusError{Code: http.StatusNotFound, Message: "No such file in the output of job " + id + ": " + rel}
	}
	f, err := jobs.OutputFile(ctx, id, rel, 0)
	if err != nil {
		return err
	}
	defer f.Close()
	buf, err := io.ReadAll(io.LimitReader(f, textLimit))
	if err != nil {
		return err
	}
	text, binary := string(buf), !utf8.Valid(buf)
	if binary {
		text = ""
	}
	u.render(w, v, http.StatusOK, "file", rel+" of job "+id, map[string]any{
		"ID": id, "Crumbs": crumbs, "Text": text, "Binary": binary, "Size": size,
		"Truncated": size > textLimit, "RawHref": rawBase + escapePath(rel),
	})
	return nil
}

func escapePath(p string) string {
	segs := strings.Split(p, "/")
	for i, s := range segs {
		segs[i] = url.PathEscape(s)
	}
	return strings.Join(segs, "/")
}
