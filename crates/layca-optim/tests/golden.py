import math
K0=[0.5,-1.0,0.25,1.5,0.75,-0.5]; K1=[-0.3,0.8,1.1,-0.6,0.2,0.9]
A=[[1.0,2.0,0.5,3.0,1.5,0.25],[0.5,1.0,2.0,0.75,1.25,3.0]]
B=[[0.3,-0.1,0.2,-0.4,0.1,0.05],[-0.2,0.3,-0.1,0.25,-0.3,0.1]]
LR=0.1; MU=[1.0,0.5]; L2=[0.01,0.0]  # k1 is excluded from L2
def dot(x,y): return sum(a*b for a,b in zip(x,y))
def nrm(x): return math.sqrt(dot(x,x))
def layca(p,s,rho):
    n=nrm(p); c=dot(s,p)/(n*n); s=[a-c*b for a,b in zip(s,p)]; ns=nrm(s)
    if ns<=1e-7: return p[:]
    s=[a*n/ns for a in s]; q=[a-rho*b for a,b in zip(p,s)]; nq=nrm(q)
    return [a*n/nq for a in q]
def lars(p,d,rho,n0,cap):
    n=nrm(p); nd=nrm(d)
    if nd==0: return p[:]
    q=[a+rho*b*n/nd for a,b in zip(p,d)]; nq=nrm(q)
    return [a*(n+cap*n0)/nq for a in q] if nq-n>cap*n0 else q
def base_delta(base,g,st,rate,t):
    kind=base[0]
    if kind=='sgd':
        beta,nest=base[1],base[2]
        m=[beta*a-rate*b for a,b in zip(st['m'],g)]; st['m']=m
        return [beta*a-rate*b for a,b in zip(m,g)] if nest else m
    if kind=='amom':
        beta=base[1]; m=[beta*a-(1-beta)*b for a,b in zip(st['m'],g)]; st['m']=m
        return [rate*a for a in m]
    if kind=='adam':
        b1,b2,e=0.9,0.999,1e-7; lrt=rate*math.sqrt(1-b2**t)/(1-b1**t)
        m=[b1*a+(1-b1)*b for a,b in zip(st['m'],g)]; v=[b2*a+(1-b2)*b*b for a,b in zip(st['v'],g)]
        st['m'],st['v']=m,v; return [-lrt*a/(math.sqrt(b)+e) for a,b in zip(m,v)]
    if kind=='rmsprop':
        v=[0.9*a+0.1*b*b for a,b in zip(st['v'],g)]; st['v']=v
        return [-rate*a/(math.sqrt(b)+1e-7) for a,b in zip(g,v)]
    if kind=='adagrad':
        v=[a+b*b for a,b in zip(st['v'],g)]; st['v']=v
        return [-rate*a/(math.sqrt(b)+1e-7) for a,b in zip(g,v)]
def run(base,control,rates=None,wd=0.0):
    ps=[K0[:],K1[:]]; sts=[{'m':[0.0]*6,'v':[0.0]*6} for _ in ps]
    n0=[nrm(p) for p in ps]
    for t in range(1,4):
        for l in range(2):
            p=ps[l]; g=[a*x+b+2*L2[l]*x for a,b,x in zip(A[l],B[l],p)]
            rate=rates[t-1][l] if rates else LR*MU[l]
            d=base_delta(base,g,sts[l],rate,t)
            p=[x*(1-rate*wd) for x in p]
            if control=='none': ps[l]=[x+y for x,y in zip(p,d)]
            elif control=='layca': ps[l]=layca(p,[-y for y in d],rate)
            else: ps[l]=lars(p,d,rate,n0[l],1e-2)
    return ps
BASES=[('sgd',('sgd',0.0,False)),('sgd_momentum',('sgd',0.9,False)),('sgd_nesterov',('sgd',0.9,True)),
       ('sgd_amom',('amom',0.9)),('adam',('adam',)),('rmsprop',('rmsprop',)),('adagrad',('adagrad',))]
def fmt(ps): return '[' + ', '.join(repr(x) for x in ps[0]+ps[1]) + ']'
for bn,b in BASES:
    for c in ['none','layca','lars']:
        print('    ("%s", "%s", %s),'%(bn,c,fmt(run(b,c))))
RATES=[[0.05,0.2],[0.3,0.01],[0.0,0.1]]
print('ADAPT_SGD', fmt(run(('sgd',0.0,False),'layca',rates=RATES)))
print('ADAPT_AMOM', fmt(run(('amom',0.9),'layca',rates=RATES)))
print('WD_SGD_NONE', fmt(run(('sgd',0.0,False),'none',wd=0.5)))
print('WD_SGD_LAYCA', fmt(run(('sgd',0.0,False),'layca',wd=0.5)))
