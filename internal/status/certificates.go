package status

import (
	"bufio"
	"encoding/json"
	"fmt"
	"path"
	"strings"
	"time"

	"skep/internal/config"
	"skep/internal/controller"
)

// Certificate is one certificate the controller serves to every Traefik.
type Certificate struct {
	Names    []string  `json:"names"`
	NotAfter time.Time `json:"not_after"`
	Issuer   string    `json:"issuer"`
}

// HostCertificates is the controller's status file as one manager read it
// in its status script (the file is on the shared volume, so any manager
// can).
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

// controllerStatusPath is the controller's status file, in its state
// directory on skep's own volume (it follows the cluster file); "" when
// the cluster has no controller.
func controllerStatusPath(c *config.Cluster) string {
	if c == nil || c.ACME == nil || c.ControllerStateDir() == "" {
		return ""
	}
	return path.Join(c.ControllerStateDir(), controller.StatusFile)
}

// orPhrase is s, or phrase when s is empty.
func orPhrase(s, phrase string) string {
	if s == "" {
		return phrase
	}
	return s
}

func parseControllerStatus(out string) (*controller.Status, error) {
	var st controller.Status
	if err := json.NewDecoder(bufio.NewReader(strings.NewReader(out))).Decode(&st); err != nil {
		return nil, fmt.Errorf("controller status: %w", err)
	}
	return &st, nil
}

// buildCertificates reports the certificates of the freshest status any
// manager read, and problems: no controller status, a stale one (the
// controller is not running), failing orders with the CA's error, and
// certificates close to expiry. A status no manager could read in time
// is not known. nil when the cluster has no acme section.
func buildCertificates(f Facts, fd *findings) []Certificate {
	if f.File == nil || f.File.ACME == nil {
		return nil
	}
	certs, problems, unknown := judgeCertificates(f)
	fd.problems = append(fd.problems, problems...)
	fd.unknown = append(fd.unknown, unknown...)
	return certs
}

func judgeCertificates(f Facts) ([]Certificate, []string, []string) {
	var best *HostCertificates
	var errs, silent []string
	missing := false
	for _, h := range f.Hosts {
		c := h.Certificates
		switch {
		case c == nil || !h.reachable():
		case c.Err != nil && notAnswered(c.Err):
			silent = append(silent, h.Name+": "+c.Err.Error())
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
			return certs, []string{"certificates: the controller has not written " + orPhrase(controllerStatusPath(f.File), "its status file") + " yet; is it running? (docker service ps " + controller.ServiceName + ")"}, nil
		case len(errs) > 0:
			return certs, []string{"certificates: the controller's status could not be read (" + strings.Join(errs, "; ") + ")"}, nil
		case len(silent) > 0:
			return certs, nil, []string{"certificates: the controller's status is not known (" + strings.Join(silent, "; ") + ")"}
		}
		return certs, nil, []string{"certificates: the controller's status is not known (no manager answered)"}
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
	return certs, problems, nil
}

// writeCertificates is the text block: one line per certificate.
func writeCertificates(w *bufio.Writer, certs []Certificate) {
	fmt.Fprintf(w, "\ncertificates: %d\n", len(certs))
	for _, c := range certs {
		fmt.Fprintf(w, "  %s  until %s  issuer %s\n", strings.Join(c.Names, ","), c.NotAfter.UTC().Format("2006-01-02 15:04"), c.Issuer)
	}
}
