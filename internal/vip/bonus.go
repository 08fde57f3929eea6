package vip

import (
	"sync"
	"time"
)

// ReloadGrace is how long, after a reload, a master's step down keeps its
// bonus. keepalived re-creates its VRRP instance on a reload whose
// settings changed (the advert interval, say), and the instance passes
// through BACKUP even on the holder. Were the bonus dropped then, a
// manager of higher base priority would preempt the holder: a move nobody
// asked for. Keeping it, the holder (still the highest priority) wins the
// new election within three adverts and some skew, which 3 s covers for
// adverts up to 0.75 s (the default is 0.1 s).
const ReloadGrace = 3 * time.Second

// masterBonus writes MasterFile from keepalived's word on whether this host
// is the master, holding a master's bonus through a reload (ReloadGrace):
// if the instance is not the master again when the grace ends, the bonus
// goes then.
type masterBonus struct {
	mu     sync.Mutex
	file   string
	logf   func(string, ...any)
	grace  time.Duration
	last   int  // the value in the file; -1 before the first write
	master bool // keepalived's latest word
	until  time.Time
	timer  *time.Timer
}

func newMasterBonus(file string, grace time.Duration, logf func(string, ...any)) *masterBonus {
	return &masterBonus{file: file, grace: grace, logf: logf, last: -1}
}

// reloading marks a reload passed on to keepalived.
func (b *masterBonus) reloading() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.until = time.Now().Add(b.grace)
}

// state takes keepalived's word: master or not.
func (b *masterBonus) state(master bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.master = master
	if left := time.Until(b.until); !master && b.last == 1 && left > 0 {
		if b.timer == nil {
			b.timer = time.AfterFunc(left, b.settle)
		}
		return
	}
	b.write(boolValue(master))
}

// settle writes keepalived's latest word once the grace is over.
func (b *masterBonus) settle() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.timer = nil
	b.write(boolValue(b.master))
}

func (b *masterBonus) write(v int) {
	if v == b.last {
		return
	}
	if err := writeValue(b.file, v); err != nil {
		b.logf("write %s: %v", b.file, err)
		return
	}
	b.last = v
}
