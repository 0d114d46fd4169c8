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
// def fmt(ps): return '[' + ', '.join(repr(x) for x in ps[0]+ps[1]) + ']'
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
use layca_optim::{BaseOptimizer, Control, LaycaOptimizer, Multipliers, NamedParam, OptimConfig};

const A: [[f32; 6]; 2] = [
    [1.0, 2.0, 0.5, 3.0, 1.5, 0.25],
    [0.5, 1.0, 2.0, 0.75, 1.25, 3.0],
];
const B: [[f32; 6]; 2] = [
    [0.3, -0.1, 0.2, -0.4, 0.1, 0.05],
    [-0.2, 0.3, -0.1, 0.25, -0.3, 0.1],
];

/// Output of `golden.py`: (base, control, [k0 after 3 steps (6), k1 after 3 steps (6)]).
#[rustfmt::skip]
const GOLDEN: &[(&str, &str, [f64; 12])] = &[
    ("sgd", "none", [0.28094327599999996, -0.483821552, 0.156058768, 0.5975107479999999, 0.431679104, -0.47518230349999996, -0.2488015625, 0.6431125, 0.81545, -0.5711109375, 0.20704101562500002, 0.5398499999999999]),
    ("sgd", "layca", [0.596979530070071, -0.9699292989700263, 0.3378136447583026, 1.1286072372355684, 0.8740183955979873, -0.9623263922951294, -0.33347644470961096, 0.8570963716210241, 1.075303505477507, -0.7557366191111198, 0.2708003438867953, 0.7095287013017771]),
    ("sgd", "lars", [0.3983614207016313, -0.7456148537339574, 0.2076656633811049, 1.026397797111372, 0.5978328595393194, -0.48897510623315166, -0.27467958384540986, 0.7213927365263701, 0.9535939447450366, -0.5856196623201955, 0.2035511213398038, 0.7095936236979333]),
    ("sgd_momentum", "none", [0.08440487599999988, -0.007584751999999917, 0.07301756799999998, -0.2559124520000001, 0.1419655039999999, -0.4534104035, -0.2039140625, 0.5045124999999999, 0.5603, -0.5456859374999999, 0.213284765625, 0.21224999999999983]),
    ("sgd_momentum", "layca", [0.6046322125186039, -0.9875810660697055, 0.3382652993156311, 1.111064324917073, 0.8906370706135168, -0.9444478742365454, -0.3331034079851885, 0.8581709318176576, 1.0788586856304856, -0.7526746987794007, 0.2701671784989294, 0.7064978423822641]),
    ("sgd_momentum", "lars", [0.4019621595774397, -0.7491015984954156, 0.20961208284915564, 1.022202386444438, 0.6015869678156344, -0.489539320995196, -0.2752601653732855, 0.722738416355912, 0.9543717005879292, -0.5859077278470467, 0.20350072847173678, 0.70830922140019]),
    ("sgd_nesterov", "none", [-0.04284134791600003, 0.17012523083200015, 0.007637085711999961, -0.347907473468, -0.005588337663999965, -0.4347328842065, -0.16515222968749999, 0.39460888749999995, 0.39368705000000004, -0.5246290453125, 0.218016357421875, 0.043602149999999895]),
    ("sgd_nesterov", "layca", [0.6024167353415987, -0.982103448524302, 0.3382137680054939, 1.1162010280170267, 0.8856818842330627, -0.9501795648737531, -0.3332208526761992, 0.8578545274159273, 1.0777698901230806, -0.7536193588272978, 0.2703679384160903, 0.707404111491579]),
    ("sgd_nesterov", "lars", [0.40088129255372174, -0.7480391029105885, 0.20903051801199002, 1.0234492924500078, 0.600453578604033, -0.48937109750933694, -0.27508128576618, 0.7223226768907776, 0.9541286441229805, -0.5858188588531461, 0.20351632270114342, 0.708704101716199]),
    ("sgd_amom", "none", [0.454954733276, -0.883114901552, 0.231569278768, 1.274256180748, 0.681337839104, -0.4952425098035, -0.2902034890625, 0.7692768625, 1.0415979500000003, -0.5944079859374999, 0.20139500976562502, 0.82246485]),
    ("sgd_amom", "layca", [0.6046322125186039, -0.9875810660697055, 0.3382652993156311, 1.111064324917073, 0.8906370706135168, -0.9444478742365455, -0.33310340798518845, 0.8581709318176575, 1.0788586856304854, -0.7526746987794005, 0.2701671784989294, 0.7064978423822642]),
    ("sgd_amom", "lars", [0.40196215957743975, -0.7491015984954156, 0.20961208284915564, 1.022202386444438, 0.6015869678156344, -0.489539320995196, -0.2752601653732855, 0.722738416355912, 0.9543717005879292, -0.5859077278470467, 0.20350072847173675, 0.70830922140019]),
    ("adam", "none", [0.2022466279687078, -0.7014791614293231, -0.04677495978286038, 1.20102203485493, 0.45215442564145536, -0.21200877959893383, -0.15049606729683876, 0.6502772401047875, 0.9502934750117352, -0.4521728611284383, 0.2674127520133882, 0.7503401404301333]),
    ("adam", "layca", [0.2187586181624965, -0.9686275985252253, -0.15250558187550656, 1.7206479457661643, 0.5933507174966477, -0.23011489006275757, -0.1153498985485805, 0.7740861062503713, 1.1696818059452874, -0.5116271393220267, 0.2946673268859026, 0.9059461411312588]),
    ("adam", "lars", [0.2644662720757756, -0.7640535428104434, 0.014979430143410383, 1.2638016405118628, 0.514417174769791, -0.2692997549866414, -0.19108596288980634, 0.6909849277120268, 0.99099254875247, -0.4917743167427001, 0.26945757541834564, 0.7910143796632275]),
    ("rmsprop", "none", [-0.093912054305176, -0.3628558596769761, -0.29477236381733285, 0.8348637837218758, 0.15113359684744404, -0.1851755478021705, 0.033579178313714944, 0.4519704774792916, 0.7531005438218188, -0.3519924524787172, 0.24957090036390686, 0.5562769058235717]),
    ("rmsprop", "layca", [0.20394574970799056, -0.9571549971761795, -0.15239392972164115, 1.7280452413116199, 0.579211279131293, -0.269091937538203, -0.14615050443178854, 0.7775807089006199, 1.158527429864102, -0.5317216742179799, 0.2844731692104661, 0.9045272481349595]),
    ("rmsprop", "lars", [0.2622689692695286, -0.7586460652641109, 0.016200564127087383, 1.2561360048046812, 0.5118647352815705, -0.2891108889062292, -0.1889010406133474, 0.6877398089067942, 0.9878348921991424, -0.4946473743434936, 0.2388019231870729, 0.7880979562553073]),
    ("adagrad", "none", [0.28301056386917434, -0.7800027045572157, 0.03627304197566076, 1.2779179745336557, 0.532675035102189, -0.30524700016266726, -0.188880819004697, 0.687709369830365, 0.9878050797188576, -0.4947529170010308, 0.2404488842591294, 0.7880700658779093]),
    ("adagrad", "layca", [0.2033322282644919, -0.9565032264681073, -0.15229389641718175, 1.7283951126994488, 0.5785648764264608, -0.2710667260684408, -0.14568481318531384, 0.7774287606979023, 1.1586924111743913, -0.5319027859933461, 0.284267138964881, 0.9044799464283308]),
    ("adagrad", "lars", [0.26220513316658034, -0.7583647524898707, 0.016351414623091406, 1.2556928214818806, 0.5117775867866889, -0.2900980641321408, -0.18887666891832905, 0.6876403390404998, 0.9877417457347888, -0.4949323846417898, 0.239024365699137, 0.7880221313559626]),
];
#[rustfmt::skip]
const ADAPT_SGD: [f64; 12] = [0.6160536139093961, -0.9794864344961467, 0.34875963522064996, 1.0456826790390008, 0.9054355653159459, -1.000592403572388, -0.3608819977335928, 0.8932493995559431, 1.0159075418338939, -0.9070961992054655, 0.33999289569790203, 0.5013809695348728];
#[rustfmt::skip]
const ADAPT_AMOM: [f64; 12] = [0.6192755519917393, -0.9889523591975649, 0.34851199303520647, 1.037696351659836, 0.913395667977908, -0.9904065065035579, -0.3601749926252066, 0.8964468620528938, 1.0249481814066543, -0.8996441403972046, 0.3384722178748108, 0.49215363659128447];
#[rustfmt::skip]
const WD_SGD_NONE: [f64; 12] = [0.22788697599999996, -0.3954339519999999, 0.126949618, 0.4908628479999997, 0.35677915399999993, -0.4070398784999999, -0.22868749999999996, 0.5914531249999999, 0.7501171874999999, -0.52958984375, 0.193137109375, 0.4928359375];
#[rustfmt::skip]
const WD_SGD_LAYCA: [f64; 12] = [0.5068122897873923, -0.8289926543598821, 0.28646483196375216, 0.9712417519950111, 0.7478640920535579, -0.8290151762596022, -0.3081629492080192, 0.7930438388375726, 0.997222402658489, -0.7010246006595231, 0.2520114515141814, 0.6578635358940822];
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
    let got = run3(
        config(BaseOptimizer::sgd_amom(), Control::Layca),
        Some(RATES),
    );
    assert_close("adapt/amom", &got, &ADAPT_AMOM);
}

#[test]
fn decoupled_weight_decay_matches_reference() {
    let got = run3(
        config(BaseOptimizer::sgd(), Control::None).with_weight_decay(0.5),
        None,
    );
    assert_close("wd/none", &got, &WD_SGD_NONE);
    let got = run3(
        config(BaseOptimizer::sgd(), Control::Layca).with_weight_decay(0.5),
        None,
    );
    assert_close("wd/layca", &got, &WD_SGD_LAYCA);
}

/// Hand derivation of one plain-SGD step (independent of the script): k1[0] = −0.3, g = A·p + B
/// = 0.5·(−0.3) − 0.2 = −0.35 (k1 has no L2), ρ_1 = 0.1·0.5 = 0.05 → −0.3 + 0.05·0.35 = −0.2825.
/// k0[0] = 0.5, g = 1·0.5 + 0.3 + 2·0.01·0.5 = 0.81, ρ_0 = 0.1 → 0.5 − 0.081 = 0.419.
#[test]
fn one_sgd_step_by_hand() {
    let ks = kernels();
    let mut opt = LaycaOptimizer::new(
        ks.clone(),
        vec![],
        config(BaseOptimizer::sgd(), Control::None),
    )
    .unwrap();
    opt.step(&loss(&ks).backward().unwrap()).unwrap();
    assert!((vals(ks[1].var.as_tensor())[0] + 0.2825).abs() < 1e-7);
    assert!((vals(ks[0].var.as_tensor())[0] - 0.419).abs() < 1e-7);
}
