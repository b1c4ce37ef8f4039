package api

// Runtime is what a job asks for or was given to run with: resources and
// container images. It is always written, with null resources when unset.
type Runtime struct {
	Resources RuntimeResources          `json:"resources"`
	Images    map[string]ContainerImage `json:"images"`
}

// RuntimeResources are a job's resource needs; nil means unset.
type RuntimeResources struct {
	CPU         *int   `json:"cpu"`
	GPU         *int   `json:"gpu"`
	MemoryMb    *int64 `json:"memoryMb"`
	DiskMb      *int64 `json:"diskMb"`
	NetworkMbps *int64 `json:"networkMbps"`
}

// ContainerImage names an image a job runs in.
type ContainerImage struct {
	Name      string   `json:"name"`
	Tag       string   `json:"tag"`
	Arguments []string `json:"arguments"`
}

// MarshalJSON writes nil images as {}.
func (r Runtime) MarshalJSON() ([]byte, error) { return marshalObject(r) }

// MarshalJSON writes an empty name or tag as null and nil arguments as [].
func (c ContainerImage) MarshalJSON() ([]byte, error) { return marshalObject(c) }

// withMemory returns r with memoryMb set from the deprecated memory field
// when r has none, and the memory both should be written with.
func (r Runtime) withMemory(memory *int) (Runtime, *int) {
	if r.Resources.MemoryMb == nil && memory != nil {
		r.Resources.MemoryMb = intPtr64(memory)
	}
	return r, int64PtrInt(r.Resources.MemoryMb)
}

// withCPU is withMemory for the deprecated cpu field.
func (r Runtime) withCPU(cpu *int) (Runtime, *int) {
	if r.Resources.CPU == nil && cpu != nil {
		r.Resources.CPU = cpu
	}
	return r, r.Resources.CPU
}
