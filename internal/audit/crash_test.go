package audit

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
)

const childEnv = "RAMPART_AUDIT_CRASH_CHILD_DIR"

func TestMain(m *testing.M) {
	if dir := os.Getenv(childEnv); dir != "" {
		crashChild(dir)
		return
	}
	os.Exit(m.Run())
}

// crashChild records events from many goroutines forever, printing
// "ack SEQ REQUEST_ID" for each event once Record has returned. The
// parent kills it with SIGKILL mid-load.
func crashChild(dir string) {
	l, err := Open(Config{CheckpointInterval: 50, GroupCommit: GroupCommitConfig{MaxBatch: 64}}, dir, "", nil)
	if err != nil {
		fmt.Println("open:", err)
		os.Exit(3)
	}
	limit, _ := strconv.Atoi(os.Getenv("RAMPART_AUDIT_CRASH_LIMIT"))
	var wg sync.WaitGroup
	for w := range 16 {
		wg.Go(func() {
			for i := 0; limit == 0 || i < limit; i++ {
				e := testEvent(i)
				e.RequestID = fmt.Sprintf("w%d-%d", w, i)
				if err := l.Record(context.Background(), e); err != nil {
					fmt.Println("record:", err)
					os.Exit(3)
				}
				fmt.Fprintf(os.Stdout, "ack %d %s\n", e.Seq, e.RequestID)
			}
		})
	}
	wg.Wait()
	l.Close()
}

// TestKill9LosesNoAcknowledgedEvent re-executes the test binary as a
// child recording under load, kills it with SIGKILL, and checks that
// every event the child saw acknowledged is in the reopened, verified chain.
func TestKill9LosesNoAcknowledgedEvent(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns a child process")
	}
	dir := t.TempDir()
	acked := map[uint64]string{}
	for round := range 2 { // the second round appends to the crashed chain
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), childEnv+"="+dir)
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(out)
		n, killed := 0, false
		for sc.Scan() {
			f := strings.Fields(sc.Text())
			if len(f) != 3 || f[0] != "ack" {
				t.Fatalf("child: %s", sc.Text())
			}
			seq, _ := strconv.ParseUint(f[1], 10, 64)
			if prev, dup := acked[seq]; dup {
				t.Fatalf("seq %d acknowledged twice (%s, %s)", seq, prev, f[2])
			}
			acked[seq] = f[2]
			if n++; n == 1500 && !killed {
				cmd.Process.Kill() // SIGKILL: no deferred code, no Close
				killed = true
			}
		}
		cmd.Wait()
		if !killed {
			t.Fatalf("round %d: child exited before being killed", round)
		}
	}

	r, err := OpenReader(Config{}, dir, "")
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	n, err := r.Verify(context.Background(), nil)
	if err != nil {
		t.Fatalf("chain after kill -9 does not verify: %v", err)
	}
	if n < len(acked) {
		t.Fatalf("chain holds %d records, but %d were acknowledged", n, len(acked))
	}
	found := map[uint64]string{}
	err = r.store.records(context.Background(), r.store.r, 0, func(rec *StoredRecord, _ int64) error {
		var e Event
		if err := json.Unmarshal(rec.Event, &e); err != nil {
			return err
		}
		found[rec.Seq] = e.RequestID
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for seq, id := range acked {
		if found[seq] != id {
			t.Errorf("acknowledged event %s (seq %d) lost; record %d holds %q", id, seq, seq, found[seq])
		}
	}
	t.Logf("%d acknowledged events over 2 kills, %d records in the chain", len(acked), n)
}
