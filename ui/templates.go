package ui

import (
	"fmt"
	"html/template"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/genie-cluster/genie/api"
)

// pageNames are the pages, each parsed with the layout into its own set.
var pageNames = []string{"jobs", "job", "output", "file", "resources", "resource", "nodes", "sign-in", "error"}

var funcs = template.FuncMap{
	"when": func(t api.Time) string {
		if t.IsZero() {
			return "—"
		}
		return t.UTC().Format("2006-01-02 15:04:05 UTC")
	},
	"iso": func(t api.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.UTC().Format(time.RFC3339)
	},
	"runtime": func(d api.Duration) string {
		if d <= 0 {
			return "—"
		}
		return time.Duration(d).Round(time.Millisecond).String()
	},
	"bytes":  humanBytes,
	"lower":  strings.ToLower,
	"join":   strings.Join,
	"escape": url.PathEscape,
	"add":    func(a, b int) int { return a + b },
	"tail": func(size int64) int64 {
		return max(0, size-tailChars)
	},
	"orDash": func(s string) string {
		if s == "" {
			return "—"
		}
		return s
	},
}

func parsePages() (map[string]*template.Template, error) {
	pages := map[string]*template.Template{}
	for _, name := range pageNames {
		t, err := template.New(name).Funcs(funcs).ParseFS(templateFS, "templates/layout.html", "templates/"+name+".html")
		if err != nil {
			return nil, fmt.Errorf("ui: parse %s: %w", name, err)
		}
		pages[name] = t
	}
	return pages, nil
}

func humanBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return strconv.FormatInt(n, 10) + " B"
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}

func itoa(i int) string { return strconv.Itoa(i) }
