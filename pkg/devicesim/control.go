package devicesim

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
)

// CallCounts is the JSON document of GET /_snowsts/calls.
type CallCounts struct {
	Calls            map[string]int64 `json:"calls"`
	AssumeRoleIssued int64            `json:"assume_role_issued"`
}

// serveControl serves the test-only control path (see the package doc).
func (d *Device) serveControl(w http.ResponseWriter, r *http.Request) {
	route := r.Method + " " + strings.TrimPrefix(r.URL.Path, ControlPrefix)
	switch route {
	case "GET calls":
		d.mu.Lock()
		c := CallCounts{Calls: make(map[string]int64, len(d.calls)), AssumeRoleIssued: d.issued}
		for k, v := range d.calls {
			c.Calls[k] = v
		}
		d.mu.Unlock()
		writeJSON(w, http.StatusOK, c)
	case "POST reset-calls":
		d.ResetCalls()
		w.WriteHeader(http.StatusNoContent)
	case "GET faults":
		writeJSON(w, http.StatusOK, d.Faults())
	case "POST faults":
		var f Faults
		dec := json.NewDecoder(io.LimitReader(r.Body, 1<<16))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&f); err != nil {
			writeJSON(w, http.StatusBadRequest, map[string]string{"error": "decode faults: " + err.Error()})
			return
		}
		if err := d.SetFaults(f); err != nil {
			writeJSON(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
			return
		}
		w.WriteHeader(http.StatusNoContent)
	default:
		writeJSON(w, http.StatusNotFound, map[string]string{"error": "no control endpoint " + route})
	}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
