"""PyTorch counterpart of the `convshapes` example: per-pass timings (forward, kernel gradient,
input gradient through aten.convolution_backward) of 3x3 stride-1 "same" convs, batch 128,
2 threads, NCHW and channels_last. Usage: python convshapes.py [c:o:hw ...]"""
import torch, time, sys
torch.set_num_threads(2)
def med(reps,f):
    f(); t=[]
    for _ in range(reps):
        s=time.perf_counter(); f(); t.append(time.perf_counter()-s)
    t.sort(); return t[reps//2]
shapes=[(3,32,32),(32,32,32),(32,64,16),(64,64,16),(64,128,8),(128,128,8),(128,256,4),(256,256,4)] if len(sys.argv)<2 else [tuple(map(int,a.split(':'))) for a in sys.argv[1:]]
n=128
cb=torch.ops.aten.convolution_backward
for cl in [False,True]:
  mf = torch.channels_last if cl else torch.contiguous_format
  print("channels_last" if cl else "nchw"); tot=0
  for c,o,hw in shapes:
    x=torch.randn(n,c,hw,hw).to(memory_format=mf)
    w=torch.randn(o,c,3,3).to(memory_format=mf)
    dy=torch.randn(n,o,hw,hw).to(memory_format=mf)
    with torch.no_grad():
      fwd=med(7,lambda: torch.conv2d(x,w,padding=1))
      dw=med(7,lambda: cb(dy,x,w,None,[1,1],[1,1],[1,1],False,[0,0],1,[False,True,False]))
      dx=med(7,lambda: cb(dy,x,w,None,[1,1],[1,1],[1,1],False,[0,0],1,[True,False,False]))
    tot+=fwd+dw+dx
    fl=2*n*o*c*9*hw*hw/1e9
    print("%3d->%-3d %2dx%-2d %8.2f %8.2f %8.2f   (%.0f %.0f %.0f)"%(c,o,hw,hw,fwd*1e3,dw*1e3,dx*1e3,fl/fwd,fl/dw,fl/dx))
  print("total %.1f ms"%(tot*1e3))
