package runner

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/genie-cluster/genie/archive"
	"github.com/genie-cluster/genie/fsm"
)

// Names inside a job directory.
const (
	runFile      = "run"
	stdoutFile   = "stdout"
	stderrFile   = "stderr"
	genieDir     = "genie"
	exitCodeFile = "genie/exit-code"
	// tmpDir is the job's TMPDIR; it is not archived.
	tmpDir = "genie/tmp"
	// cachedListFile lists, one per line relative to the job directory,
	// the staged files a caching fetcher served: the archive leaves them
	// out.
	cachedListFile = "genie/cached-dependencies"
)

// stageFile is one file to fetch into the job directory.
type stageFile struct {
	uri string
	dst string // absolute
	// job is set for the files the job's request names, as opposed to the
	// cluster's, command's and applications' that operators register.
	job bool
	// readAs, when set, is the account whose rights a local file is read
	// with.
	readAs *identity
}

// plan is what staging puts into a job directory.
type plan struct {
	dirs   []string // absolute, each holding at least one staged file
	files  []stageFile
	setups []string // absolute paths, in the order the run script sources them
}

// buildPlan lays out the job directory as Genie does: every resource gets
// genie/<kind>/<id>/{config,dependencies}/ with its setup file beside them,
// and the job's own dependencies go to the root so relative arguments such
// as "-f query.q" find them.
func buildPlan(dir string, spec Spec) (*plan, error) {
	p := &plan{}
	// Where each file goes, to refuse two files landing on one path.
	taken := map[string]string{}
	for _, name := range []string{runFile, stdoutFile, stderrFile, genieDir} {
		taken[filepath.Join(dir, name)] = "the job's own " + name
	}
	add := func(uri, into string, job bool) (string, error) {
		name, err := uriFileName(uri)
		if err != nil {
			return "", fmt.Errorf("stage %s: %w", uri, err)
		}
		dst := filepath.Join(into, name)
		if other, ok := taken[dst]; ok {
			return "", fmt.Errorf("stage %s: %s is already taken by %s", uri, dst, other)
		}
		taken[dst] = uri
		p.files = append(p.files, stageFile{uri: uri, dst: dst, job: job})
		return dst, nil
	}
	resource := func(base string, r *fsm.Resource, job bool) error {
		for _, uri := range r.Configs {
			if _, err := add(uri, filepath.Join(base, "config"), job); err != nil {
				return err
			}
		}
		for _, uri := range r.Dependencies {
			if _, err := add(uri, filepath.Join(base, "dependencies"), job); err != nil {
				return err
			}
		}
		if r.SetupFile != "" {
			dst, err := add(r.SetupFile, base, job)
			if err != nil {
				return err
			}
			p.setups = append(p.setups, dst)
		}
		return nil
	}

	if spec.Cluster == nil {
		return nil, errors.New("the job has no cluster")
	}
	if spec.Command == nil {
		return nil, errors.New("the job has no command")
	}
	if len(spec.Command.Executable) == 0 {
		return nil, fmt.Errorf("command %s has no executable", spec.Command.ID)
	}
	if err := archive.ValidateID(spec.Cluster.ID); err != nil {
		return nil, fmt.Errorf("cluster: %w", err)
	}
	if err := resource(filepath.Join(dir, genieDir, "cluster", spec.Cluster.ID), &spec.Cluster.Resource, false); err != nil {
		return nil, err
	}
	for _, app := range spec.Applications {
		if err := archive.ValidateID(app.ID); err != nil {
			return nil, fmt.Errorf("application: %w", err)
		}
		if err := resource(filepath.Join(dir, genieDir, "applications", app.ID), &app.Resource, false); err != nil {
			return nil, err
		}
	}
	if err := archive.ValidateID(spec.Command.ID); err != nil {
		return nil, fmt.Errorf("command: %w", err)
	}
	if err := resource(filepath.Join(dir, genieDir, "command", spec.Command.ID), &spec.Command.Resource, false); err != nil {
		return nil, err
	}
	req := &spec.Job.Request
	if err := resource(filepath.Join(dir, genieDir, "job"), &fsm.Resource{Configs: req.Configs, SetupFile: req.SetupFile}, true); err != nil {
		return nil, err
	}
	for _, uri := range req.Dependencies {
		if _, err := add(uri, dir, true); err != nil {
			return nil, err
		}
	}

	seen := map[string]bool{}
	for _, f := range p.files {
		d := filepath.Dir(f.dst)
		if d == dir || seen[d] {
			continue
		}
		seen[d] = true
		// A setup file named "config" would sit where the config directory goes.
		if other, ok := taken[d]; ok {
			return nil, fmt.Errorf("stage %s: %s is needed as a directory", other, d)
		}
		p.dirs = append(p.dirs, d)
	}
	sort.Strings(p.dirs)
	return p, nil
}

// stage resolves the account the job runs as, creates the job directory,
// fetches every file into it, writes the run script, creates the output
// files and hands the directory to the job's account. Until then the
// directory is the node's and private (0700), and stays private to the
// job's account; the node writes nothing into it after.
func (r *Runner) stage(j *job) error {
	if err := r.refuseArchiveReads(j.spec); err != nil {
		return err
	}
	id, err := r.jobIdentity(j.spec)
	if err != nil {
		return err
	}
	p, err := buildPlan(j.dir, j.spec)
	if err != nil {
		return err
	}
	if id, err = r.giveUID(j, id); err != nil {
		return err
	}
	j.ident = id
	if id != nil {
		j.account.Store(int64(id.uid))
	}
	if err := os.Mkdir(j.dir, 0o700); err != nil {
		if !errors.Is(err, os.ErrExist) {
			return fmt.Errorf("create %s: %w", j.dir, err)
		}
		// Nothing of this job ran yet (it was ACCEPTED), so what is there is
		// left from an attempt that never started.
		if err := os.RemoveAll(j.dir); err != nil {
			return fmt.Errorf("clear %s: %w", j.dir, err)
		}
		if err := os.Mkdir(j.dir, 0o700); err != nil {
			return fmt.Errorf("create %s: %w", j.dir, err)
		}
	}
	if err := os.Mkdir(filepath.Join(j.dir, genieDir), 0o755); err != nil {
		return fmt.Errorf("create %s: %w", genieDir, err)
	}
	if err := os.Mkdir(filepath.Join(j.dir, tmpDir), 0o700); err != nil {
		return fmt.Errorf("create %s: %w", tmpDir, err)
	}
	for _, d := range p.dirs {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return fmt.Errorf("create %s: %w", d, err)
		}
	}
	if id != nil {
		for i := range p.files {
			if p.files[i].job && !r.ownAttachment(j.id, p.files[i].uri) {
				p.files[i].readAs = id
			}
		}
	}
	if err := r.fetchAll(j.ctx, p.files); err != nil {
		return err
	}
	if err := r.listCached(j.dir, p.files); err != nil {
		return err
	}
	script := runScript(j.dir, j.spec, p.setups, r.conf.NodeName)
	if err := os.WriteFile(filepath.Join(j.dir, runFile), []byte(script), 0o755); err != nil {
		return fmt.Errorf("write run script: %w", err)
	}
	if err := createOutputs(j); err != nil {
		return err
	}
	if id != nil {
		return handOver(j.dir, id)
	}
	return nil
}

// ownAttachment reports whether uri names a file sent with job id, which
// the node keeps where job users cannot read it.
func (r *Runner) ownAttachment(id, uri string) bool {
	if r.conf.AttachmentsDir == "" {
		return false
	}
	if scheme, err := uriScheme(uri); err != nil || (scheme != "" && scheme != "file") {
		return false
	}
	p, err := localPath(uri)
	if err != nil {
		return false
	}
	rel, err := filepath.Rel(filepath.Join(r.conf.AttachmentsDir, id), filepath.Clean(p))
	return err == nil && rel != "." && filepath.IsLocal(rel)
}

// listCached writes the list of staged files the node's cache holds, when
// there are any.
func (r *Runner) listCached(dir string, files []stageFile) error {
	var b strings.Builder
	for _, f := range files {
		if !r.cachedByFetcher(f) {
			continue
		}
		rel, err := filepath.Rel(dir, f.dst)
		if err != nil {
			return err
		}
		b.WriteString(filepath.ToSlash(rel) + "\n")
	}
	if b.Len() == 0 {
		return nil
	}
	if err := os.WriteFile(filepath.Join(dir, cachedListFile), []byte(b.String()), 0o644); err != nil {
		return fmt.Errorf("write %s: %w", cachedListFile, err)
	}
	return nil
}
