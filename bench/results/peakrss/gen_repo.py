# gen_repo.py N_COMMITS N_FILES | git fast-import: the synthetic history used for
# the git gc --aggressive peak-RSS figures of PERF_LOG.md ("Peak RSS" section).
# Fixed seed: the same repository every time.  600 200 -> 16 MiB pack, 3000 400 -> 82 MiB.
import random, sys
random.seed(42)
N=int(sys.argv[1]); NF=int(sys.argv[2])
words=[("w%d"%i)*random.randint(1,4) for i in range(5000)]
files={}
for f in range(NF):
    files["src/d%d/f%d.c"%(f%20,f)]=[" ".join(random.choice(words) for _ in range(8)) for _ in range(random.randint(50,400))]
out=sys.stdout.buffer
def w(s): out.write(s if isinstance(s,bytes) else s.encode())
mark=0
names=list(files)
for c in range(N):
    changed=random.sample(names, random.randint(1,6))
    w("commit refs/heads/main\n")
    w("committer A <a@b> %d +0000\n"%(1600000000+c*60))
    msg="commit %d\n"%c
    w("data %d\n%s"%(len(msg),msg))
    if c>0: pass
    for n in (names if c==0 else changed):
        L=files[n]
        if c>0:
            for _ in range(random.randint(1,10)):
                i=random.randrange(len(L)+1)
                r=random.random()
                if r<0.5: L.insert(i," ".join(random.choice(words) for _ in range(8)))
                elif L and r<0.8: del L[min(i,len(L)-1)]
                elif L: L[min(i,len(L)-1)]=" ".join(random.choice(words) for _ in range(8))
        data=("\n".join(L)+"\n").encode()
        w("M 100644 inline %s\ndata %d\n"%(n,len(data))); w(data); w("\n")
    w("\n")
