//! The glue between candle's custom-op traits and this crate's kernels: a kernel is written
//! once, generically over [`Real`] (`f32`, `f64`), and [`Cpu`] turns it into a
//! `CustomOp1/2/3` (slice extraction, dtype dispatch, output shape, optional backward).

use candle_core::{
    backend::BackendStorage, bail, CpuStorage, CustomOp1, CustomOp2, CustomOp3, Error, Layout,
    Result, Shape, Tensor,
};

use crate::util::{cpu_slice, Real};

/// A one-input CPU kernel.
pub(crate) trait Kernel1: Send + Sync + 'static {
    /// Op name (errors, profiles).
    const NAME: &'static str;
    /// Output shape, given the input's.
    fn shape(&self, input: &Shape) -> Shape;
    /// The kernel on contiguous data.
    fn run<T: Real>(&self, x: &[T]) -> Vec<T>;
    /// Gradient wrt the input (only ops applied with backward need it).
    fn bwd(&self, _x: &Tensor, _res: &Tensor, _grad: &Tensor) -> Result<Option<Tensor>> {
        Err(Error::BackwardNotSupported { op: Self::NAME })
    }
}

/// A two-input CPU kernel.
pub(crate) trait Kernel2: Send + Sync + 'static {
    /// Op name (errors, profiles).
    const NAME: &'static str;
    /// Output shape, given the first input's.
    fn shape(&self, first: &Shape) -> Shape;
    /// The kernel on contiguous data of one dtype.
    fn run<T: Real>(&self, a: &[T], b: &[T]) -> Vec<T>;
    /// Gradients wrt both inputs (only ops applied with backward need it).
    fn bwd(
        &self,
        _a: &Tensor,
        _b: &Tensor,
        _res: &Tensor,
        _grad: &Tensor,
    ) -> Result<(Option<Tensor>, Option<Tensor>)> {
        Err(Error::BackwardNotSupported { op: Self::NAME })
    }
}

/// A three-input CPU kernel.
pub(crate) trait Kernel3: Send + Sync + 'static {
    /// Op name (errors, profiles).
    const NAME: &'static str;
    /// Output shape, given the first input's.
    fn shape(&self, first: &Shape) -> Shape;
    /// The kernel on contiguous data of one dtype.
    fn run<T: Real>(&self, a: &[T], b: &[T], c: &[T]) -> Vec<T>;
    /// Gradients wrt the three inputs.
    #[allow(clippy::type_complexity)]
    fn bwd(
        &self,
        a: &Tensor,
        b: &Tensor,
        c: &Tensor,
        res: &Tensor,
        grad: &Tensor,
    ) -> Result<(Option<Tensor>, Option<Tensor>, Option<Tensor>)>;
}

/// Adapts a kernel to candle's custom-op traits.
pub(crate) struct Cpu<K>(pub K);

/// Runs `f` with the element type of `s` (f32 or f64), wrapping its output as storage.
macro_rules! by_dtype {
    ($s:expr, $name:expr, |$t:ident| $body:expr) => {
        match $s {
            CpuStorage::F32(_) => {
                type $t = f32;
                <$t as candle_core::WithDType>::to_cpu_storage_owned($body)
            }
            CpuStorage::F64(_) => {
                type $t = f64;
                <$t as candle_core::WithDType>::to_cpu_storage_owned($body)
            }
            other => bail!(
                "layca-ops {}: unsupported dtype {:?} (F32 or F64)",
                $name,
                other.dtype()
            ),
        }
    };
}

impl<K: Kernel1> CustomOp1 for Cpu<K> {
    fn name(&self) -> &'static str {
        K::NAME
    }
    fn cpu_fwd(&self, s: &CpuStorage, l: &Layout) -> Result<(CpuStorage, Shape)> {
        let out = by_dtype!(s, K::NAME, |T| self.0.run::<T>(cpu_slice(s, l, K::NAME)?));
        Ok((out, self.0.shape(l.shape())))
    }
    fn bwd(&self, x: &Tensor, res: &Tensor, grad: &Tensor) -> Result<Option<Tensor>> {
        self.0.bwd(x, res, grad)
    }
}

impl<K: Kernel2> CustomOp2 for Cpu<K> {
    fn name(&self) -> &'static str {
        K::NAME
    }
    fn cpu_fwd(
        &self,
        s1: &CpuStorage,
        l1: &Layout,
        s2: &CpuStorage,
        l2: &Layout,
    ) -> Result<(CpuStorage, Shape)> {
        let out = by_dtype!(s1, K::NAME, |T| self
            .0
            .run::<T>(cpu_slice(s1, l1, K::NAME)?, cpu_slice(s2, l2, K::NAME)?));
        Ok((out, self.0.shape(l1.shape())))
    }
    fn bwd(
        &self,
        a: &Tensor,
        b: &Tensor,
        res: &Tensor,
        grad: &Tensor,
    ) -> Result<(Option<Tensor>, Option<Tensor>)> {
        self.0.bwd(a, b, res, grad)
    }
}

impl<K: Kernel3> CustomOp3 for Cpu<K> {
    fn name(&self) -> &'static str {
        K::NAME
    }
    fn cpu_fwd(
        &self,
        s1: &CpuStorage,
        l1: &Layout,
        s2: &CpuStorage,
        l2: &Layout,
        s3: &CpuStorage,
        l3: &Layout,
    ) -> Result<(CpuStorage, Shape)> {
        let out = by_dtype!(s1, K::NAME, |T| self.0.run::<T>(
            cpu_slice(s1, l1, K::NAME)?,
            cpu_slice(s2, l2, K::NAME)?,
            cpu_slice(s3, l3, K::NAME)?
        ));
        Ok((out, self.0.shape(l1.shape())))
    }
    fn bwd(
        &self,
        a: &Tensor,
        b: &Tensor,
        c: &Tensor,
        res: &Tensor,
        grad: &Tensor,
    ) -> Result<(Option<Tensor>, Option<Tensor>, Option<Tensor>)> {
        self.0.bwd(a, b, c, res, grad)
    }
}
