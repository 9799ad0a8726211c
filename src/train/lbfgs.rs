//! Limited-memory BFGS for smooth convex objectives (the sparse logistic trainer's solver):
//! two-loop recursion over the last `m` steps and a backtracking Armijo line search.

/// Why the solver stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stop {
    Converged,
    MaxIterations,
    /// The line search found no decrease: the optimum is reached within float precision.
    NoProgress,
}

/// Minimizes `f` from `x`, in place. `f(x, grad)` returns the value and writes the gradient.
pub fn minimize(x: &mut [f64], mut f: impl FnMut(&[f64], &mut [f64]) -> f64, max_iterations: usize, tolerance: f64) -> (Stop, usize) {
    const MEMORY: usize = 8;
    let n = x.len();
    let mut g = vec![0.0; n];
    let mut value = f(x, &mut g);
    let mut s_hist: Vec<Vec<f64>> = Vec::new();
    let mut y_hist: Vec<Vec<f64>> = Vec::new();
    let mut rho: Vec<f64> = Vec::new();
    let (mut x_new, mut g_new, mut d) = (vec![0.0; n], vec![0.0; n], vec![0.0; n]);
    let mut alpha = [0.0; MEMORY];
    for it in 0..max_iterations {
        if norm(&g) <= tolerance * norm(x).max(1.0) {
            return (Stop::Converged, it);
        }
        // d = -H g by the two-loop recursion.
        d.iter_mut().zip(&g).for_each(|(d, g)| *d = -g);
        for i in (0..s_hist.len()).rev() {
            alpha[i] = rho[i] * dot(&s_hist[i], &d);
            axpy(-alpha[i], &y_hist[i], &mut d);
        }
        let gamma = match (s_hist.last(), y_hist.last()) {
            (Some(s), Some(y)) => dot(s, y) / dot(y, y),
            _ => 1.0 / norm(&g).max(1e-12),
        };
        d.iter_mut().for_each(|v| *v *= gamma);
        for i in 0..s_hist.len() {
            let beta = rho[i] * dot(&y_hist[i], &d);
            axpy(alpha[i] - beta, &s_hist[i], &mut d);
        }
        let mut slope = dot(&g, &d);
        if slope >= 0.0 {
            // Not a descent direction (numerical trouble): restart from steepest descent.
            s_hist.clear();
            y_hist.clear();
            rho.clear();
            let scale = 1.0 / norm(&g).max(1e-12);
            d.iter_mut().zip(&g).for_each(|(d, g)| *d = -g * scale);
            slope = dot(&g, &d);
        }
        let mut step = 1.0;
        let mut accepted = None;
        for _ in 0..40 {
            x_new.iter_mut().zip(x.iter().zip(&d)).for_each(|(xn, (x, d))| *xn = x + step * d);
            let v = f(&x_new, &mut g_new);
            if v.is_finite() && v <= value + 1e-4 * step * slope {
                accepted = Some(v);
                break;
            }
            step *= 0.5;
        }
        let Some(v) = accepted else { return (Stop::NoProgress, it) };
        let s: Vec<f64> = x_new.iter().zip(x.iter()).map(|(a, b)| a - b).collect();
        let y: Vec<f64> = g_new.iter().zip(&g).map(|(a, b)| a - b).collect();
        let sy = dot(&s, &y);
        if sy > 1e-12 {
            if s_hist.len() == MEMORY {
                s_hist.remove(0);
                y_hist.remove(0);
                rho.remove(0);
            }
            s_hist.push(s);
            y_hist.push(y);
            rho.push(1.0 / sy);
        }
        x.copy_from_slice(&x_new);
        g.copy_from_slice(&g_new);
        let decrease = (value - v) / value.abs().max(v.abs()).max(1.0);
        value = v;
        if decrease < 1e-10 {
            return (Stop::Converged, it + 1);
        }
    }
    (Stop::MaxIterations, max_iterations)
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(a, b)| a * b).sum()
}

fn norm(a: &[f64]) -> f64 {
    dot(a, a).sqrt()
}

fn axpy(a: f64, x: &[f64], y: &mut [f64]) {
    y.iter_mut().zip(x).for_each(|(y, x)| *y += a * x);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_minimum_of_an_ill_conditioned_quadratic_and_rosenbrock() {
        // f = Σ c_i (x_i - i)², c from 1 to 1000.
        let mut x = vec![0.0; 5];
        let c = [1.0, 10.0, 100.0, 300.0, 1000.0];
        let (stop, _) = minimize(
            &mut x,
            |x, g| {
                let mut v = 0.0;
                for i in 0..5 {
                    let d = x[i] - i as f64;
                    v += c[i] * d * d;
                    g[i] = 2.0 * c[i] * d;
                }
                v
            },
            200,
            1e-10,
        );
        assert_ne!(stop, Stop::MaxIterations);
        for (i, xi) in x.iter().enumerate() {
            assert!((xi - i as f64).abs() < 1e-5, "{x:?}");
        }
        let mut x = vec![-1.2, 1.0];
        minimize(
            &mut x,
            |x, g| {
                let (a, b) = (1.0 - x[0], x[1] - x[0] * x[0]);
                g[0] = -2.0 * a - 400.0 * x[0] * b;
                g[1] = 200.0 * b;
                a * a + 100.0 * b * b
            },
            500,
            1e-10,
        );
        assert!((x[0] - 1.0).abs() < 1e-4 && (x[1] - 1.0).abs() < 1e-4, "{x:?}");
    }
}
