//! Acceptance 2: golden values. For each base optimizer × control mode, 3 steps on two small
//! kernels (2×3 and 3×2, multipliers [1, 0.5], coupled L2 λ = 0.01 on k0 only, lr = 0.1) match
//! values computed independently in plain f64 Python (no numpy, no candle) by the script below;
//! plus AdaptCopy replay (per-step layer rates) and decoupled weight decay.
//!
//! The loss is Σ_l Σ_i (½·A_li·p_li² + B_li·p_li), so ∂L/∂p = A⊙p + B; candle's autograd produces
//! the gradients, the optimizer adds 2λp. Tolerance: the optimizer runs in f32, the reference in
//! f64, so |ours − ref| ≤ 2e-5·max(1, |ref|).
//!
//! Regenerate with `python3 golden.py` (the script, verbatim):
//!
// import math
// K0=[0.5,-1.0,0.25,1.5,0.75,-0.5]; K1=[-0.3,0.8,1.1,-0.6,0.2,0.9]
// A=[[1.0,2.0,0.5,3.0,1.5,0.25],[0.5,1.0,2.0,0.75,1.25,3.0]]
// B=[[0.3,-0.1,0.2,-0.4,0.1,0.05],[-0.2,0.3,-0.1,0.25,-0.3,0.1]]
// LR=0.1; MU=[1.0,0.5]; L2=[0.01,0.0]  # k1 is excluded from L2
// def dot(x,y): return sum(a*b for a,b in zip(x,y))
// def nrm(x): return math.sqrt(dot(x,x))
// def layca(p,s,rho):
//     n=nrm(p); c=dot(s,p)/(n*n); s=[a-c*b for a,b in zip(s,p)]; ns=nrm(s)
//     if ns<=1e-7: return p[:]
//     s=[a*n/ns for a in s]; q=[a-rho*b for a,b in zip(p,s)]; nq=nrm(q)
//     return [a*n/nq for a in q]
// def lars(p,d,rho,n0,cap):
//     n=nrm(p); nd=nrm(d)
//     if nd==0: return p[:]
//     q=[a+rho*b*n/nd for a,b in zip(p,d)]; nq=nrm(q)
//     return [a*(n+cap*n0)/nq for a in q] if nq-n>cap*n0 else q
// def base_delta(base,g,st,rate,t):
//     kind=base[0]
//     if kind=='sgd':
//         beta,nest=base[1],base[2]
//         m=[beta*a-rate*b for a,b in zip(st['m'],g)]; st['m']=m
//         return [beta*a-rate*b for a,b in zip(m,g)] if nest else m
//     if kind=='amom':
//         beta=base[1]; m=[beta*a-(1-beta)*b for a,b in zip(st['m'],g)]; st['m']=m
//         return [rate*a for a in m]
//     if kind=='adam':
//         b1,b2,e=0.9,0.999,1e-7; lrt=rate*math.sqrt(1-b2**t)/(1-b1**t)
//         m=[b1*a+(1-b1)*b for a,b in zip(st['m'],g)]; v=[b2*a+(1-b2)*b*b for a,b in zip(st['v'],g)]
//         st['m'],st['v']=m,v; return [-lrt*a/(math.sqrt(b)+e) for a,b in zip(m,v)]
//     if kind=='rmsprop':
//         v=[0.9*a+0.1*b*b for a,b in zip(st['v'],g)]; st['v']=v
//         return [-rate*a/(math.sqrt(b)+1e-7) for a,b in zip(g,v)]
//     if kind=='adagrad':
//         v=[a+b*b for a,b in zip(st['v'],g)]; st['v']=v
//         return [-rate*a/(math.sqrt(b)+1e-7) for a,b in zip(g,v)]
// def run(base,control,rates=None,wd=0.0):
//     ps=[K0[:],K1[:]]; sts=[{'m':[0.0]*6,'v':[0.0]*6} for _ in ps]
//     n0=[nrm(p) for p in ps]
//     for t in range(1,4):
//         for l in range(2):
//             p=ps[l]; g=[a*x+b+2*L2[l]*x for a,b,x in zip(A[l],B[l],p)]
//             rate=rates[t-1][l] if rates else LR*MU[l]
//             d=base_delta(base,g,sts[l],rate,t)
//             p=[x*(1-rate*wd) for x in p]
//             if control=='none': ps[l]=[x+y for x,y in zip(p,d)]
//             elif control=='layca': ps[l]=layca(p,[-y for y in d],rate)
//             else: ps[l]=lars(p,d,rate,n0[l],1e-2)
//     return ps
// BASES=[('sgd',('sgd',0.0,False)),('sgd_momentum',('sgd',0.9,False)),('sgd_nesterov',('sgd',0.9,True)),
//        ('sgd_amom',('amom',0.9)),('adam',('adam',)),('rmsprop',('rmsprop',)),('adagrad',('adagrad',))]
// def fmt(ps): return '[' + ', '.join('%.17e'%x for x in ps[0]+ps[1]) + ']'
// for bn,b in BASES:
//     for c in ['none','layca','lars']:
//         print('    ("%s", "%s", %s),'%(bn,c,fmt(run(b,c))))
// RATES=[[0.05,0.2],[0.3,0.01],[0.0,0.1]]
// print('ADAPT_SGD', fmt(run(('sgd',0.0,False),'layca',rates=RATES)))
// print('ADAPT_AMOM', fmt(run(('amom',0.9),'layca',rates=RATES)))
// print('WD_SGD_NONE', fmt(run(('sgd',0.0,False),'none',wd=0.5)))
// print('WD_SGD_LAYCA', fmt(run(('sgd',0.0,False),'layca',wd=0.5)))
mod common;
use candle_core::{Device, Tensor};
use common::*;
use layca_optim::{
    BaseOptimizer, Control, LaycaOptimizer, Multipliers, NamedParam, OptimConfig,
};

const A: [[f32; 6]; 2] = [[1.0, 2.0, 0.5, 3.0, 1.5, 0.25], [0.5, 1.0, 2.0, 0.75, 1.25, 3.0]];
const B: [[f32; 6]; 2] = [
    [0.3, -0.1, 0.2, -0.4, 0.1, 0.05],
    [-0.2, 0.3, -0.1, 0.25, -0.3, 0.1],
];

/// Output of `golden.py`: (base, control, [k0 after 3 steps (6), k1 after 3 steps (6)]).
#[rustfmt::skip]
const GOLDEN: &[(&str, &str, [f64; 12])] = &[
    ("sgd", "none", [2.80943275999999964e-01, -4.83821551999999988e-01, 1.56058767999999987e-01, 5.97510747999999925e-01, 4.31679103999999980e-01, -4.75182303499999958e-01, -2.48801562499999990e-01, 6.43112499999999976e-01, 8.15450000000000008e-01, -5.71110937499999971e-01, 2.07041015625000019e-01, 5.39849999999999941e-01]),
    ("sgd", "layca", [5.96979530070070985e-01, -9.69929298970026332e-01, 3.37813644758302611e-01, 1.12860723723556844e+00, 8.74018395597987330e-01, -9.62326392295129396e-01, -3.33476444709610964e-01, 8.57096371621024145e-01, 1.07530350547750708e+00, -7.55736619111119778e-01, 2.70800343886795303e-01, 7.09528701301777143e-01]),
    ("sgd", "lars", [3.98361420701631275e-01, -7.45614853733957417e-01, 2.07665663381104898e-01, 1.02639779711137202e+00, 5.97832859539319417e-01, -4.88975106233151657e-01, -2.74679583845409858e-01, 7.21392736526370149e-01, 9.53593944745036559e-01, -5.85619662320195467e-01, 2.03551121339803798e-01, 7.09593623697933329e-01]),
    ("sgd_momentum", "none", [8.44048759999998788e-02, -7.58475199999991689e-03, 7.30175679999999772e-02, -2.55912452000000123e-01, 1.41965503999999909e-01, -4.53410403500000003e-01, -2.03914062499999993e-01, 5.04512499999999919e-01, 5.60300000000000020e-01, -5.45685937499999940e-01, 2.13284765625000011e-01, 2.12249999999999828e-01]),
    ("sgd_momentum", "layca", [6.04632212518603884e-01, -9.87581066069705527e-01, 3.38265299315631096e-01, 1.11106432491707308e+00, 8.90637070613516824e-01, -9.44447874236545415e-01, -3.33103407985188504e-01, 8.58170931817657578e-01, 1.07885868563048559e+00, -7.52674698779400742e-01, 2.70167178498929406e-01, 7.06497842382264096e-01]),
    ("sgd_momentum", "lars", [4.01962159577439693e-01, -7.49101598495415577e-01, 2.09612082849155640e-01, 1.02220238644443806e+00, 6.01586967815634366e-01, -4.89539320995195981e-01, -2.75260165373285515e-01, 7.22738416355911961e-01, 9.54371700587929195e-01, -5.85907727847046700e-01, 2.03500728471736780e-01, 7.08309221400190037e-01]),
    ("sgd_nesterov", "none", [-4.28413479160000277e-02, 1.70125230832000152e-01, 7.63708571199996078e-03, -3.47907473467999995e-01, -5.58833766399996490e-03, -4.34732884206500025e-01, -1.65152229687499985e-01, 3.94608887499999950e-01, 3.93687050000000038e-01, -5.24629045312499986e-01, 2.18016357421875001e-01, 4.36021499999998952e-02]),
    ("sgd_nesterov", "layca", [6.02416735341598675e-01, -9.82103448524301981e-01, 3.38213768005493909e-01, 1.11620102801702670e+00, 8.85681884233062711e-01, -9.50179564873753102e-01, -3.33220852676199220e-01, 8.57854527415927270e-01, 1.07776989012308055e+00, -7.53619358827297803e-01, 2.70367938416090303e-01, 7.07404111491579002e-01]),
    ("sgd_nesterov", "lars", [4.00881292553721735e-01, -7.48039102910588505e-01, 2.09030518011990019e-01, 1.02344929245000782e+00, 6.00453578604033034e-01, -4.89371097509336939e-01, -2.75081285766180017e-01, 7.22322676890777560e-01, 9.54128644122980485e-01, -5.85818858853146107e-01, 2.03516322701143421e-01, 7.08704101716199020e-01]),
    ("sgd_amom", "none", [4.54954733276000001e-01, -8.83114901552000009e-01, 2.31569278767999986e-01, 1.27425618074799996e+00, 6.81337839104000031e-01, -4.95242509803499986e-01, -2.90203489062499986e-01, 7.69276862500000047e-01, 1.04159795000000033e+00, -5.94407985937499883e-01, 2.01395009765625022e-01, 8.22464850000000025e-01]),
    ("sgd_amom", "layca", [6.04632212518603884e-01, -9.87581066069705527e-01, 3.38265299315631096e-01, 1.11106432491707308e+00, 8.90637070613516824e-01, -9.44447874236545526e-01, -3.33103407985188449e-01, 8.58170931817657467e-01, 1.07885868563048537e+00, -7.52674698779400519e-01, 2.70167178498929406e-01, 7.06497842382264207e-01]),
    ("sgd_amom", "lars", [4.01962159577439748e-01, -7.49101598495415577e-01, 2.09612082849155640e-01, 1.02220238644443806e+00, 6.01586967815634366e-01, -4.89539320995195981e-01, -2.75260165373285515e-01, 7.22738416355911961e-01, 9.54371700587929195e-01, -5.85907727847046700e-01, 2.03500728471736753e-01, 7.08309221400190037e-01]),
    ("adam", "none", [2.02246627968707793e-01, -7.01479161429323095e-01, -4.67749597828603786e-02, 1.20102203485493009e+00, 4.52154425641455360e-01, -2.12008779598933828e-01, -1.50496067296838759e-01, 6.50277240104787491e-01, 9.50293475011735223e-01, -4.52172861128438297e-01, 2.67412752013388211e-01, 7.50340140430133307e-01]),
    ("adam", "layca", [2.18758618162496504e-01, -9.68627598525225286e-01, -1.52505581875506557e-01, 1.72064794576616431e+00, 5.93350717496647695e-01, -2.30114890062757566e-01, -1.15349898548580507e-01, 7.74086106250371331e-01, 1.16968180594528737e+00, -5.11627139322026747e-01, 2.94667326885902581e-01, 9.05946141131258820e-01]),
    ("adam", "lars", [2.64466272075775610e-01, -7.64053542810443354e-01, 1.49794301434103827e-02, 1.26380164051186283e+00, 5.14417174769790986e-01, -2.69299754986641382e-01, -1.91085962889806338e-01, 6.90984927712026797e-01, 9.90992548752470004e-01, -4.91774316742700113e-01, 2.69457575418345641e-01, 7.91014379663227518e-01]),
    ("rmsprop", "none", [-9.39120543051760043e-02, -3.62855859676976089e-01, -2.94772363817332850e-01, 8.34863783721875752e-01, 1.51133596847444041e-01, -1.85175547802170493e-01, 3.35791783137149441e-02, 4.51970477479291588e-01, 7.53100543821818791e-01, -3.51992452478717188e-01, 2.49570900363906861e-01, 5.56276905823571699e-01]),
    ("rmsprop", "layca", [2.03945749707990565e-01, -9.57154997176179467e-01, -1.52393929721641147e-01, 1.72804524131161985e+00, 5.79211279131293000e-01, -2.69091937538202985e-01, -1.46150504431788536e-01, 7.77580708900619921e-01, 1.15852742986410195e+00, -5.31721674217979889e-01, 2.84473169210466115e-01, 9.04527248134959549e-01]),
    ("rmsprop", "lars", [2.62268969269528585e-01, -7.58646065264110936e-01, 1.62005641270873829e-02, 1.25613600480468124e+00, 5.11864735281570504e-01, -2.89110888906229213e-01, -1.88901040613347393e-01, 6.87739808906794203e-01, 9.87834892199142445e-01, -4.94647374343493595e-01, 2.38801923187072912e-01, 7.88097956255307319e-01]),
    ("adagrad", "none", [2.83010563869174336e-01, -7.80002704557215654e-01, 3.62730419756607594e-02, 1.27791797453365574e+00, 5.32675035102189054e-01, -3.05247000162667259e-01, -1.88880819004696998e-01, 6.87709369830365014e-01, 9.87805079718857559e-01, -4.94752917001030801e-01, 2.40448884259129386e-01, 7.88070065877909287e-01]),
    ("adagrad", "layca", [2.03332228264491904e-01, -9.56503226468107259e-01, -1.52293896417181746e-01, 1.72839511269944879e+00, 5.78564876426460817e-01, -2.71066726068440789e-01, -1.45684813185313844e-01, 7.77428760697902344e-01, 1.15869241117439126e+00, -5.31902785993346061e-01, 2.84267138964880983e-01, 9.04479946428330850e-01]),
    ("adagrad", "lars", [2.62205133166580340e-01, -7.58364752489870675e-01, 1.63514146230914065e-02, 1.25569282148188055e+00, 5.11777586786688943e-01, -2.90098064132140787e-01, -1.88876668918329049e-01, 6.87640339040499815e-01, 9.87741745734788790e-01, -4.94932384641789791e-01, 2.39024365699136987e-01, 7.88022131355962552e-01]),
];
#[rustfmt::skip]
const ADAPT_SGD: [f64; 12] = [6.16053613909396058e-01, -9.79486434496146696e-01, 3.48759635220649955e-01, 1.04568267903900081e+00, 9.05435565315945934e-01, -1.00059240357238810e+00, -3.60881997733592808e-01, 8.93249399555943069e-01, 1.01590754183389387e+00, -9.07096199205465470e-01, 3.39992895697902031e-01, 5.01380969534872767e-01];
#[rustfmt::skip]
const ADAPT_AMOM: [f64; 12] = [6.19275551991739337e-01, -9.88952359197564856e-01, 3.48511993035206469e-01, 1.03769635165983609e+00, 9.13395667977908055e-01, -9.90406506503557882e-01, -3.60174992625206580e-01, 8.96446862052893811e-01, 1.02494818140665434e+00, -8.99644140397204639e-01, 3.38472217874810799e-01, 4.92153636591284471e-01];
#[rustfmt::skip]
const WD_SGD_NONE: [f64; 12] = [2.27886975999999963e-01, -3.95433951999999922e-01, 1.26949617999999986e-01, 4.90862847999999685e-01, 3.56779153999999932e-01, -4.07039878499999896e-01, -2.28687499999999960e-01, 5.91453124999999913e-01, 7.50117187499999893e-01, -5.29589843749999956e-01, 1.93137109375000005e-01, 4.92835937499999988e-01];
#[rustfmt::skip]
const WD_SGD_LAYCA: [f64; 12] = [5.06812289787392345e-01, -8.28992654359882120e-01, 2.86464831963752165e-01, 9.71241751995011060e-01, 7.47864092053557861e-01, -8.29015176259602193e-01, -3.08162949208019177e-01, 7.93043838837572568e-01, 9.97222402658489049e-01, -7.01024600659523101e-01, 2.52011451514181417e-01, 6.57863535894082196e-01];
/// Per-step AdaptCopy rates (RATES in the script).
const RATES: [[f64; 2]; 3] = [[0.05, 0.2], [0.3, 0.01], [0.0, 0.1]];

fn kernels() -> Vec<NamedParam> {
    vec![
        var("k0", &[0.5, -1.0, 0.25, 1.5, 0.75, -0.5], &[2, 3]),
        var("k1", &[-0.3, 0.8, 1.1, -0.6, 0.2, 0.9], &[3, 2]),
    ]
}

fn loss(ks: &[NamedParam]) -> Tensor {
    let dev = Device::Cpu;
    let mut total = Tensor::new(0f32, &dev).unwrap();
    for (l, k) in ks.iter().enumerate() {
        let p = k.var.as_tensor().flatten_all().unwrap();
        let a = Tensor::new(&A[l], &dev).unwrap();
        let b = Tensor::new(&B[l], &dev).unwrap();
        let term = ((p.sqr().unwrap() * &a).unwrap() * 0.5).unwrap() + (p * b).unwrap();
        total = (total + term.unwrap().sum_all().unwrap()).unwrap();
    }
    total
}

fn config(base: BaseOptimizer, control: Control) -> OptimConfig {
    OptimConfig::new(base, control, 0.1)
        .with_multipliers(Multipliers::Explicit(vec![1.0, 0.5]))
        .with_l2(0.01, vec!["k1".into()])
}

fn run3(cfg: OptimConfig, rates: Option<[[f64; 2]; 3]>) -> Vec<f64> {
    let ks = kernels();
    let mut opt = LaycaOptimizer::new(ks.clone(), vec![], cfg).unwrap();
    for t in 0..3 {
        if let Some(r) = rates {
            opt.set_layer_rates(Some(r[t].to_vec())).unwrap();
        }
        let g = loss(&ks).backward().unwrap();
        opt.step(&g).unwrap();
    }
    ks.iter().flat_map(|k| vals(k.var.as_tensor())).collect()
}

fn assert_close(what: &str, got: &[f64], want: &[f64]) {
    assert_eq!(got.len(), want.len());
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        assert!(
            (g - w).abs() <= 2e-5 * w.abs().max(1.0),
            "{what}[{i}]: got {g}, want {w}\n got  {got:?}\n want {want:?}"
        );
    }
}

fn base_named(name: &str) -> BaseOptimizer {
    bases().into_iter().find(|(n, _)| *n == name).unwrap().1
}

fn control_named(name: &str) -> Control {
    controls().into_iter().find(|(n, _)| *n == name).unwrap().1
}

#[test]
fn every_base_and_control_matches_reference() {
    assert_eq!(GOLDEN.len(), bases().len() * controls().len());
    for (b, c, want) in GOLDEN {
        let got = run3(config(base_named(b), control_named(c)), None);
        assert_close(&format!("{b}/{c}"), &got, want);
    }
}

#[test]
fn adaptcopy_replay_matches_reference() {
    let got = run3(config(BaseOptimizer::sgd(), Control::Layca), Some(RATES));
    assert_close("adapt/sgd", &got, &ADAPT_SGD);
    let got = run3(config(BaseOptimizer::sgd_amom(), Control::Layca), Some(RATES));
    assert_close("adapt/amom", &got, &ADAPT_AMOM);
}

#[test]
fn decoupled_weight_decay_matches_reference() {
    let got = run3(config(BaseOptimizer::sgd(), Control::None).with_weight_decay(0.5), None);
    assert_close("wd/none", &got, &WD_SGD_NONE);
    let got = run3(config(BaseOptimizer::sgd(), Control::Layca).with_weight_decay(0.5), None);
    assert_close("wd/layca", &got, &WD_SGD_LAYCA);
}

/// Hand derivation of one plain-SGD step (independent of the script): k1[0] = −0.3, g = A·p + B
/// = 0.5·(−0.3) − 0.2 = −0.35 (k1 has no L2), ρ_1 = 0.1·0.5 = 0.05 → −0.3 + 0.05·0.35 = −0.2825.
/// k0[0] = 0.5, g = 1·0.5 + 0.3 + 2·0.01·0.5 = 0.81, ρ_0 = 0.1 → 0.5 − 0.081 = 0.419.
#[test]
fn one_sgd_step_by_hand() {
    let ks = kernels();
    let mut opt =
        LaycaOptimizer::new(ks.clone(), vec![], config(BaseOptimizer::sgd(), Control::None)).unwrap();
    opt.step(&loss(&ks).backward().unwrap()).unwrap();
    assert!((vals(ks[1].var.as_tensor())[0] + 0.2825).abs() < 1e-7);
    assert!((vals(ks[0].var.as_tensor())[0] - 0.419).abs() < 1e-7);
}
