package status

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"path"
	"strings"
	"time"

	"skep/internal/controller"
	"skep/internal/host"
)

// Certificate is one certificate the controller serves to every Traefik.
type Certificate struct {
	Names    []string  `json:"names"`
	NotAfter time.Time `json:"not_after"`
	Issuer   string    `json:"issuer"`
}

// HostCertificates is the controller's status file as one manager read it
// (the file is on the shared volume, so any manager can).
type HostCertificates struct {
	Status  *controller.Status // nil when missing or unreadable
	Missing bool               // no status file yet
	Err     error
	ReadAt  time.Time
}

// Thresholds of the certificate rules.
const (
	// A status older than this means the controller is not running: it
	// rewrites the file every controller.StatusInterval.
	controllerStale = 3 * controller.StatusInterval
	// The controller renews 30 days before expiry; a certificate this
	// close to it means renewals have been failing for two weeks.
	expirySoon = 14 * 24 * time.Hour
)

var statusPath = path.Join(controller.DefaultStateDir, controller.StatusFile)

// readCertificates reads the controller's status over the host's SSH
// connection (root-only file: through sudo), within timeout.
func readCertificates(ctx context.Context, h *host.Host, timeout time.Duration) *HostCertificates {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	out, err := h.Sudo(ctx, fmt.Sprintf("if [ -f %[1]s ]; then cat %[1]s; else echo missing; fi", statusPath))
	hc := &HostCertificates{ReadAt: time.Now()}
	switch {
	case err != nil:
		hc.Err = fmt.Errorf("read %s: %w", statusPath, err)
	case strings.TrimSpace(out) == "missing":
		hc.Missing = true
	default:
		hc.Status, hc.Err = parseControllerStatus(out)
	}
	return hc
}

func parseControllerStatus(out string) (*controller.Status, error) {
	var st controller.Status
	if err := json.NewDecoder(bufio.NewReader(strings.NewReader(out))).Decode(&st); err != nil {
		return nil, fmt.Errorf("%s: %w", statusPath, err)
	}
	return &st, nil
}

// buildCertificates reports the certificates of the freshest status any
// manager read, and problems: no controller status, a stale one (the
// controller is not running), failing orders with the CA's error, and
// certificates close to expiry. nil when the cluster has no acme section.
func buildCertificates(f Facts) ([]Certificate, []string) {
	if f.File == nil || f.File.ACME == nil {
		return nil, nil
	}
	var best *HostCertificates
	var errs []string
	missing := false
	for _, h := range f.Hosts {
		c := h.Certificates
		switch {
		case c == nil:
		case c.Err != nil:
			errs = append(errs, h.Name+": "+c.Err.Error())
		case c.Missing:
			missing = true
		case best == nil || c.Status.Updated.After(best.Status.Updated):
			best = c
		}
	}
	certs := []Certificate{}
	if best == nil {
		switch {
		case missing:
			return certs, []string{"certificates: the controller has not written " + statusPath + " yet; is it running? (docker service ps " + controller.ServiceName + ")"}
		case len(errs) > 0:
			return certs, []string{"certificates: the controller's status could not be read (" + strings.Join(errs, "; ") + ")"}
		}
		return certs, []string{"certificates: no manager answered to read the controller's status"}
	}
	var problems []string
	st, now := best.Status, best.ReadAt
	if age := now.Sub(st.Updated); age > controllerStale {
		problems = append(problems, fmt.Sprintf("certificates: the controller last wrote its status %s ago; is it running? (docker service ps %s)",
			age.Round(time.Second), controller.ServiceName))
	}
	for _, c := range st.Certificates {
		certs = append(certs, Certificate{Names: c.Names, NotAfter: c.NotAfter, Issuer: c.Issuer})
		if left := c.NotAfter.Sub(now); left < expirySoon {
			problems = append(problems, fmt.Sprintf("certificates: %s expires in %s (%s); renewal is overdue, see the failures above or the controller's log (docker service logs %s)",
				strings.Join(c.Names, ","), left.Round(time.Hour), c.NotAfter.Format(time.RFC3339), controller.ServiceName))
		}
	}
	for _, fl := range st.Failures {
		what := "ACME account"
		if len(fl.Names) > 0 {
			what = strings.Join(fl.Names, ",")
		}
		msg := fmt.Sprintf("certificates: %s: %s", what, fl.Error)
		if !fl.NextAttempt.IsZero() {
			msg += fmt.Sprintf(" (next attempt %s)", fl.NextAttempt.UTC().Format(time.RFC3339))
		}
		problems = append(problems, msg)
	}
	return certs, problems
}

// writeCertificates is the text block: one line per certificate.
func writeCertificates(w *bufio.Writer, certs []Certificate) {
	fmt.Fprintf(w, "\ncertificates: %d\n", len(certs))
	for _, c := range certs {
		fmt.Fprintf(w, "  %s  until %s  issuer %s\n", strings.Join(c.Names, ","), c.NotAfter.UTC().Format("2006-01-02 15:04"), c.Issuer)
	}
}
