package runner

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// defaultPath is a job's PATH when the node has none.
const defaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

// inheritedEnv is what a job takes from the node's own environment, which
// otherwise holds the node's secrets (gossip key, tokens, cloud
// credentials) and never reaches a job.
type inheritedEnv struct {
	path, lang, tz string
}

func readInheritedEnv() inheritedEnv {
	e := inheritedEnv{path: os.Getenv("PATH"), lang: os.Getenv("LANG"), tz: os.Getenv("TZ")}
	if e.path == "" {
		e.path = defaultPath
	}
	if e.lang == "" {
		e.lang = "C.UTF-8"
	}
	return e
}

// processEnv is the whole environment a job's run script starts with; the
// script itself exports the GENIE_* variables. HOME is the working
// directory: it exists, is the job's own and is always writable.
func (r *Runner) processEnv(dir string, id *identity) []string {
	user := r.selfName
	if id != nil {
		user = id.name
	}
	vars := map[string]string{
		"PATH":    r.inherited.path,
		"LANG":    r.inherited.lang,
		"HOME":    dir,
		"USER":    user,
		"LOGNAME": user,
		"TMPDIR":  filepath.Join(dir, tmpDir),
	}
	if r.inherited.tz != "" {
		vars["TZ"] = r.inherited.tz
	}
	for k, v := range r.conf.JobEnv {
		vars[k] = v
	}
	env := make([]string, 0, len(vars))
	for k, v := range vars {
		env = append(env, k+"="+v)
	}
	sort.Strings(env)
	return env
}

// validateJobEnv refuses variables a process environment cannot hold.
func validateJobEnv(env map[string]string) error {
	for k, v := range env {
		switch {
		case k == "":
			return errors.New("runner: JobEnv: empty variable name")
		case strings.ContainsAny(k, "=\x00"):
			return fmt.Errorf("runner: JobEnv: variable name %q holds '=' or NUL", k)
		case strings.ContainsRune(v, 0):
			return fmt.Errorf("runner: JobEnv: value of %s holds NUL", k)
		}
	}
	return nil
}
