package node

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/genie-cluster/genie/fsm"
)

// aclResetFile, in the data dir, re-arms the ACL bootstrap: it holds the
// index of the bootstrap to allow again (the "reset index" the refusal of a
// second bootstrap names), as Nomad's acl-bootstrap-reset does. Only
// whoever can write the data dir can write it: no job can.
const aclResetFile = "acl-bootstrap-reset"

func (n *Node) aclResetIndex() (uint64, error) {
	path := filepath.Join(n.config.DataDir, aclResetFile)
	buf, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("read %s: %w", path, err)
	}
	index, err := strconv.ParseUint(strings.TrimSpace(string(buf)), 10, 64)
	if err != nil {
		return 0, fsm.Errorf(fsm.ErrCodeInvalid, "%s must hold the reset index the bootstrap refusal names: %v", path, err)
	}
	return index, nil
}
