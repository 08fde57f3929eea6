package status

import (
	"bufio"

	"skep/internal/config"
)

// Section is one component's part of the health report: whether the
// cluster file declares the component, how its facts become findings and
// a field of the Report (its JSON), and how it reads on screen. The
// sections a report has are not chosen here: apply's component list hands
// them to Collect (Options.Sections), so status and apply's verification
// check the same components, and a component the file does not declare is
// in neither.
type Section struct {
	Name     string
	Declared func(c *config.Cluster) bool
	build    func(f Facts, fd *findings, r *Report)
	text     func(w *bufio.Writer, r *Report)
}

// The sections of the components status knows how to judge.
var (
	StorageSection = Section{
		Name:     "storage",
		Declared: func(c *config.Cluster) bool { return c.Storage != nil },
		build: func(f Facts, fd *findings, r *Report) {
			r.Storage = buildStorage(f.File, f, fd)
			buildSystem(f, fd)
		},
		text: func(w *bufio.Writer, r *Report) {
			if r.Storage != nil {
				r.Storage.writeText(w)
			}
		},
	}
	VIPSection = Section{
		Name:     "vip",
		Declared: func(c *config.Cluster) bool { return c.VIP != nil },
		build:    func(f Facts, fd *findings, r *Report) { r.VIP = buildVIP(f, fd) },
		text: func(w *bufio.Writer, r *Report) {
			if r.VIP != nil {
				r.VIP.writeText(w)
			}
		},
	}
	IngressSection = Section{
		Name:     "ingress",
		Declared: func(c *config.Cluster) bool { return c.Ingress != nil },
		build:    func(f Facts, fd *findings, r *Report) { r.Ingress = buildIngress(f, fd) },
		text: func(w *bufio.Writer, r *Report) {
			if r.Ingress != nil {
				r.Ingress.writeText(w)
			}
		},
	}
	CertificatesSection = Section{
		Name:     "certificates",
		Declared: func(c *config.Cluster) bool { return c.ACME != nil },
		build:    func(f Facts, fd *findings, r *Report) { r.Certificates = buildCertificates(f, fd) },
		text: func(w *bufio.Writer, r *Report) {
			if r.Certificates != nil {
				writeCertificates(w, r.Certificates)
			}
		},
	}
	// StacksSection is the app stacks' health (stacks.go). It is no
	// component of the cluster file: skep status asks for it, apply's
	// verification does not (it cannot fix a stack).
	StacksSection = Section{
		Name:     "stacks",
		Declared: stacksAlways,
		build:    func(f Facts, fd *findings, r *Report) { r.Stacks = buildStacks(f, fd) },
		text:     func(w *bufio.Writer, r *Report) { writeStacks(w, r.Stacks) },
	}
)

// declaredOnly keeps the sections the cluster file declares, in order.
func declaredOnly(c *config.Cluster, sections []Section) []Section {
	if c == nil {
		return nil
	}
	var out []Section
	for _, s := range sections {
		if s.Declared(c) {
			out = append(out, s)
		}
	}
	return out
}

// writeSections renders the report's sections in their order.
func (r *Report) writeSections(w *bufio.Writer) {
	for _, s := range r.sections {
		s.text(w, r)
	}
}
