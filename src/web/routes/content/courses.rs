//! Courses: one's courses and lesson progress, and a course's completion for trainers.

use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

use crate::domain::enablement::{Completion, Learner, MyCourse};
use crate::domain::ids::ItemId;
use crate::domain::policy::Principal;
use crate::domain::{policy, Lang};
use crate::web::blocking::blocking;
use crate::web::error::responses::{Forbidden, InvalidContent, NotFound, Unauthenticated};
use crate::web::error::{AppError, OrPage, PageError};
use crate::web::guard::require;
use crate::web::page::{html, PageContext};
use crate::web::AppState;

/// The learner behind a principal (position and region from their user record).
fn learner_courses(state: &AppState, principal: &Principal) -> Result<Vec<MyCourse>, AppError> {
    let user = state.auth.user(&principal.user)?;
    let (position, region) = user.map(|u| (u.position, u.region)).unwrap_or((None, None));
    let learner = Learner {
        user: &principal.user,
        role: principal.role.as_str(),
        position: position.as_deref(),
        region: region.as_deref(),
    };
    Ok(state.library.my_courses(&learner)?)
}

/// A course's completion, with the enabled users it is assigned to who have not started it.
fn completion_of(state: &AppState, course: &str) -> Result<Completion, AppError> {
    let users: Vec<_> = state
        .auth
        .list_users()?
        .into_iter()
        .filter(|u| !u.disabled)
        .collect();
    let learners: Vec<Learner<'_>> = users
        .iter()
        .map(|u| Learner {
            user: &u.name,
            role: u.role.as_str(),
            position: u.position.as_deref(),
            region: u.region.as_deref(),
        })
        .collect();
    Ok(state.library.completion(course, &learners)?)
}

/// `GET /api/v1/my/courses`: the caller's courses (audience and running campaigns), with
/// progress.
#[utoipa::path(
    get,
    path = "/api/v1/my/courses",
    responses(
        (status = 200, description = "My courses and progress", body = Vec<crate::domain::enablement::MyCourse>),
        Unauthenticated,
    )
)]
pub async fn my_courses(
    state: web::Data<AppState>,
    principal: Principal,
) -> Result<web::Json<Vec<MyCourse>>, AppError> {
    Ok(web::Json(learner_courses(&state, &principal)?))
}

/// `PUT /api/v1/progress/{lesson}`: mark a lesson done.
#[utoipa::path(
    put,
    path = "/api/v1/progress/{lesson}",
    params(("lesson" = String, Path, description = "Lesson id")),
    responses(
        (status = 204, description = "Marked done"),
        InvalidContent,
        Unauthenticated,
        Forbidden,
        NotFound,
    )
)]
pub async fn mark_lesson_done(
    state: web::Data<AppState>,
    principal: Principal,
    lesson: web::Path<ItemId>,
) -> Result<HttpResponse, AppError> {
    let library = state.library.clone();
    blocking(move || library.set_lesson_done(&principal.user, &lesson, true)).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// `DELETE /api/v1/progress/{lesson}`: mark a lesson not done.
#[utoipa::path(
    delete,
    path = "/api/v1/progress/{lesson}",
    params(("lesson" = String, Path, description = "Lesson id")),
    responses(
        (status = 204, description = "Marked not done"),
        InvalidContent,
        Unauthenticated,
        Forbidden,
        NotFound,
    )
)]
pub async fn unmark_lesson_done(
    state: web::Data<AppState>,
    principal: Principal,
    lesson: web::Path<ItemId>,
) -> Result<HttpResponse, AppError> {
    let library = state.library.clone();
    blocking(move || library.set_lesson_done(&principal.user, &lesson, false)).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// `GET /api/v1/courses/{id}/completion` (trainers, managers, admins).
#[utoipa::path(
    get,
    path = "/api/v1/courses/{id}/completion",
    params(("id" = String, Path, description = "Course id")),
    responses(
        (status = 200, description = "Who completed the course", body = crate::domain::enablement::Completion),
        InvalidContent,
        Unauthenticated,
        Forbidden,
        NotFound,
    )
)]
pub async fn course_completion(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<ItemId>,
) -> Result<web::Json<Completion>, AppError> {
    require(
        policy::can_see_course_completion(&principal),
        &principal,
        "course completion",
        "trainers, managers and admins",
    )?;
    Ok(web::Json(completion_of(&state, &id)?))
}

#[derive(Template)]
#[template(path = "courses.html")]
pub struct CoursesPage {
    pub ctx: PageContext,
    pub courses: Vec<MyCourse>,
}

/// `GET /my/courses`.
pub async fn show_my_courses(
    req: HttpRequest,
    state: web::Data<AppState>,
    lang: Lang,
    principal: Principal,
) -> Result<HttpResponse, PageError> {
    html(&CoursesPage {
        ctx: PageContext::for_request(&req, &state, lang),
        courses: learner_courses(&state, &principal).or_page(lang)?,
    })
    .or_page(lang)
}

#[derive(Deserialize)]
pub struct DoneForm {
    done: String,
    #[serde(default, rename = "csrf")]
    _csrf: String,
}

/// `POST /lessons/{id}/done`.
pub async fn submit_lesson_done(
    state: web::Data<AppState>,
    lang: Lang,
    principal: Principal,
    id: web::Path<ItemId>,
    form: web::Form<DoneForm>,
) -> Result<HttpResponse, PageError> {
    let library = state.library.clone();
    let (lesson, done) = (id.clone(), form.done == "1");
    blocking(move || library.set_lesson_done(&principal.user, &lesson, done))
        .await
        .or_page(lang)?;
    // Back to the lesson's "done" line, where the next lesson is offered.
    let done = if form.done == "1" {
        "lesson_done"
    } else {
        "lesson_undone"
    };
    Ok(HttpResponse::SeeOther()
        .insert_header((
            actix_web::http::header::LOCATION,
            format!(
                "/content/{}?done={done}#lesson-done",
                crate::web::page::path_segment(&id)
            ),
        ))
        .finish())
}

#[derive(Template)]
#[template(path = "completion.html")]
pub struct CompletionPage {
    pub ctx: PageContext,
    pub title: String,
    pub completion: Completion,
}

/// `GET /courses/{id}/completion`.
pub async fn show_completion(
    req: HttpRequest,
    state: web::Data<AppState>,
    lang: Lang,
    principal: Principal,
    id: web::Path<ItemId>,
) -> Result<HttpResponse, PageError> {
    require(
        policy::can_see_course_completion(&principal),
        &principal,
        "course completion",
        "trainers, managers and admins",
    )
    .or_page(lang)?;
    let course = state.library.published(&id).or_page(lang)?;
    html(&CompletionPage {
        ctx: PageContext::for_request(&req, &state, lang),
        title: course.title,
        completion: completion_of(&state, &id).or_page(lang)?,
    })
    .or_page(lang)
}
