package main

import (
	"crypto/tls"
	"sync"

	"github.com/snowsts/snowsts/pkg/devicesim"
)

type deviceMap struct {
	mu sync.Mutex
	m  map[string]*devicesim.Device
}

func newDeviceMap() *deviceMap { return &deviceMap{m: map[string]*devicesim.Device{}} }

func (d *deviceMap) get(work string) *devicesim.Device {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.m[work]
}

func (d *deviceMap) set(work string, dev *devicesim.Device) {
	d.mu.Lock()
	d.m[work] = dev
	d.mu.Unlock()
}

func newTLSConfig(cert tls.Certificate) *tls.Config {
	return &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
}
