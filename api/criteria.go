package api

// Criterion selects resources, as a command's cluster criteria do: every
// non-empty field must match, and the resource must carry all the tags.
type Criterion struct {
	ID      string   `json:"id"`
	Name    string   `json:"name"`
	Version string   `json:"version"`
	Status  string   `json:"status"`
	Tags    []string `json:"tags"`
}

// MarshalJSON writes empty fields as null and nil tags as [].
func (c Criterion) MarshalJSON() ([]byte, error) { return marshalObject(c) }

// ClusterCriteria is one of a job's cluster choices: the tags a cluster must
// all carry.
type ClusterCriteria struct {
	Tags []string `json:"tags"`
}

// MarshalJSON writes nil tags as [].
func (c ClusterCriteria) MarshalJSON() ([]byte, error) { return marshalObject(c) }

// ResolvedResources are the clusters one of a command's criteria selects.
type ResolvedResources struct {
	Criterion Criterion `json:"criterion"`
	Resources []Cluster `json:"resources"`
}

// MarshalJSON writes nil resources as [].
func (r ResolvedResources) MarshalJSON() ([]byte, error) { return marshalObject(r) }
